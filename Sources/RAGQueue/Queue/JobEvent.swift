/// A change of one job, pushed to whoever watches it (`JobStore.events(for:)`).
public enum JobEvent: Sendable, Hashable {
    /// The job moved to this status.
    case status(JobStatus)
    /// A cancel was requested while the job runs.
    case cancelRequested
    /// New entries were appended to the job's token stream (read them with `tokens(of:after:)`).
    case tokens
    /// Events may have been missed (the store's subscription reconnected): read the job again.
    case resync
}

/// A job's end, as every process of the queue hears of it (`JobStore.observeEnds`): what figures
/// such as the dashboard's charts are made of.
public struct JobEnd: Sendable, Hashable {
    public var id: JobID
    /// `finished`, `failed` or `canceled`.
    public var status: JobStatus
    /// From its creation to its first start; nil when it never started (canceled while waiting, or
    /// a follower, which ends with the job it follows).
    public var queueWait: Duration?
    /// From its creation to its end.
    public var total: Duration

    public init(id: JobID, status: JobStatus, queueWait: Duration?, total: Duration) {
        self.id = id
        self.status = status
        self.queueWait = queueWait
        self.total = total
    }

    /// The end from a creation, first start and end time in ms (nil start: never started).
    init(id: JobID, status: JobStatus, createdAt: Int64, firstStartedAt: Int64?, endedAt: Int64) {
        self.init(
            id: id, status: status, queueWait: firstStartedAt.map { .milliseconds(max(0, $0 - createdAt)) },
            total: .milliseconds(max(0, endedAt - createdAt))
        )
    }
}
