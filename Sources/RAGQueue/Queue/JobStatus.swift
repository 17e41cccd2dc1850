/// Where a job is in its life. The raw values are what Valkey stores and the API shows.
public enum JobStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// Held by a worker under a lease.
    case started
    /// Waiting for its retry time after a transient failure.
    case scheduled
    /// Ended with a result.
    case finished
    /// Ended with an error.
    case failed
    /// Ended by a cancel request.
    case canceled

    /// Whether the job has ended and will not change again.
    public var isTerminal: Bool {
        switch self {
        case .finished, .failed, .canceled: true
        case .queued, .started, .scheduled: false
        }
    }
}
