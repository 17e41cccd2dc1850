/// The answer to a lease renewal, per job.
public enum LeaseRenewal: Sendable, Hashable {
    /// Extended.
    case renewed
    /// Extended, and a user asked to cancel the job: stop at the next step.
    case cancelRequested
    /// The lease is gone (expired and taken over, or the job ended): stop and write nothing.
    case lost
}

/// What a failure report did to the job.
public enum FailureOutcome: Sendable, Hashable {
    /// Scheduled for another attempt.
    case scheduled
    /// Ended as failed.
    case failed
    /// Ended as canceled (a cancel had been requested).
    case canceled
}

/// What a cancel request did.
public enum CancelOutcome: Sendable, Hashable {
    /// The job was waiting and is now canceled.
    case canceled
    /// The job is running; its worker has been told to stop.
    case requested
}

/// What one reclaim pass did.
public struct ReclaimReport: Sendable, Hashable {
    /// Jobs with expired leases put back in the queue.
    public var requeued: Int
    /// Jobs with expired leases and no attempts left, now failed.
    public var failed: Int
    /// Jobs with expired leases and a pending cancel, now canceled.
    public var canceled: Int
    /// Scheduled retries that came due.
    public var promoted: Int
    /// Jobs taken from workers whose heartbeat lapsed (also counted as requeued, failed or canceled).
    public var crashed: Int = 0
    /// How long nobody had reclaimed before this call, when that was longer than a heartbeat (an
    /// outage): every lease and heartbeat deadline moved on by it. Zero otherwise.
    public var outage: Duration = .zero
}
