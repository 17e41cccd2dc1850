/// A change of one job, pushed to whoever watches it (`JobStore.events(for:)`).
public enum JobEvent: Sendable, Hashable {
    /// The job moved to this status.
    case status(JobStatus)
    /// A cancel was requested while the job runs.
    case cancelRequested
    /// Events may have been missed (the store's subscription reconnected): read the job again.
    case resync
}
