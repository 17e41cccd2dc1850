/// A snapshot of the queue.
public struct QueueStats: Sendable, Hashable, Codable {
    /// Jobs waiting for a worker.
    public var waiting: Int
    /// Jobs held by workers.
    public var active: Int
    /// Jobs waiting for a retry.
    public var scheduled: Int
    /// Failed jobs whose records are still kept.
    public var failed: Int
    /// Age of the oldest waiting job, in seconds (0 when none waits).
    public var oldestWaitingSeconds: Double
    /// Workers whose heartbeat is current.
    public var liveWorkers: Int
    /// Active jobs whose lease has run out but that no reclaim has moved yet.
    public var expiredLeases: Int
    /// Lifetime counters: enqueued, finished, failed, canceled, retried, reclaimed, released.
    public var counters: [String: Int]
}
