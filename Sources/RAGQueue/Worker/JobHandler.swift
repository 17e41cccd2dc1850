import Logging

/// Runs jobs of one kind. Throw a `ClassifiedError` (or `JobFailure`) to say whether a retry may
/// help; any other error fails the job at once as `internal`.
public protocol JobHandler: Sendable {
    /// The kind this handler runs (`rag.query`, `noop`, ...).
    var kind: String { get }
    /// Runs one attempt and returns the result to store.
    func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8]
}

/// What a running job can ask of its worker.
public struct JobContext: Sendable {
    /// A logger carrying the job's id, attempt and request id.
    public let logger: Logger
    /// The store, for handlers that publish progress (streamed tokens).
    public let store: any JobStore
    private let timings: TimingRecorder
    private let cancelFlag: CancelFlag

    init(logger: Logger, store: any JobStore, timings: TimingRecorder, cancelFlag: CancelFlag) {
        self.logger = logger
        self.store = store
        self.timings = timings
        self.cancelFlag = cancelFlag
    }

    /// Records how long a stage took (seconds), stored with the job's result.
    public func record(stage: String, duration: Duration) {
        timings.record(stage: stage, seconds: duration.seconds)
    }

    /// Runs `body` as the named stage and records its duration.
    public func stage<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { record(stage: name, duration: ContinuousClock.now - start) }
        return try await body()
    }

    /// Throws when the job was canceled by a user or its lease was lost: call it between steps.
    public func checkCancellation() throws {
        if let reason = cancelFlag.reason { throw JobInterrupted(reason: reason) }
        try Task.checkCancellation()
    }
}

/// Thrown by `JobContext.checkCancellation()` when the job must stop.
public struct JobInterrupted: Error, Sendable, Hashable {
    /// Why the job stops.
    public enum Reason: Sendable, Hashable {
        /// A user canceled it.
        case canceled
        /// Its lease was lost to a newer attempt: nothing it writes will be kept.
        case leaseLost
        /// The worker is shutting down and hands the job back.
        case shutdown
    }

    /// Why the job stops.
    public let reason: Reason
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
