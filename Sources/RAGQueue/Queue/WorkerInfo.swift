/// A live worker process, as it announces itself.
public struct WorkerInfo: Sendable, Hashable, Codable {
    /// The worker's id (host, pid and a random part).
    public var id: String
    /// Host name.
    public var host: String
    /// Process id.
    public var pid: Int32
    /// Jobs it runs at once.
    public var concurrency: Int
    /// Job kinds it runs.
    public var kinds: [String]
    /// When it started (ms since the epoch).
    public var startedAtMilliseconds: Int64
    /// Jobs it holds now: filled when read from the store (`JobStore.workers()`), nil as announced.
    public var jobsInFlight: Int?
    /// When it is taken for dead unless it beats again (ms since the epoch): filled when read from
    /// the store, nil as announced.
    public var heartbeatDeadlineMilliseconds: Int64?

    public init(id: String, host: String, pid: Int32, concurrency: Int, kinds: [String], startedAtMilliseconds: Int64) {
        self.id = id
        self.host = host
        self.pid = pid
        self.concurrency = concurrency
        self.kinds = kinds
        self.startedAtMilliseconds = startedAtMilliseconds
    }
}
