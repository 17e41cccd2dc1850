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
