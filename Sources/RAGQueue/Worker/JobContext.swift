import Logging

/// What a running job can ask of its worker: a logger, stage timings, whether to stop, and the
/// job's token stream for answers streamed as they are written.
public struct JobContext: Sendable {
    /// A logger carrying the job's id, attempt and request id.
    public let logger: Logger
    private let timings: TimingRecorder
    private let cancelFlag: CancelFlag
    private let tokens: TokenSink

    init(logger: Logger, timings: TimingRecorder, cancelFlag: CancelFlag, tokens: TokenSink) {
        self.logger = logger
        self.timings = timings
        self.cancelFlag = cancelFlag
        self.tokens = tokens
    }

    /// Records how long a stage took, stored with the job's result or failure.
    public func record(stage: String, duration: Duration) {
        timings.record(stage: stage, seconds: duration.seconds)
    }

    /// Records what the attempt used (tokens, calls, cost): it goes with the attempt's outcome to
    /// the job's record and its tenant's ledger and budget, whether the attempt succeeds or not.
    public func record(usage: JobUsage) {
        timings.record(usage: usage)
    }

    /// Records the question's embedding: when the job finishes, it joins its semantic answer-cache
    /// scope's index (`ClaimedJob.answerScope`), for similar questions to reuse its answer.
    public func record(answerVector vector: [Float]) {
        timings.record(answerVector: vector)
    }

    /// Records that the job answers with a similar question's cached answer instead of running the
    /// model: its record will name that answer's job and the similarity.
    public func record(reused: ReusedAnswer) {
        timings.record(reused: reused)
    }

    /// Runs `body` as the named stage and records its duration.
    public func stage<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { record(stage: name, duration: ContinuousClock.now - start) }
        return try await body()
    }

    /// Throws when the job was canceled by a user or its lease was lost: call it between steps.
    /// (The job's task is cancelled too, so `Task.checkCancellation()` works as well.)
    public func checkCancellation() throws {
        if let reason = cancelFlag.reason { throw JobInterrupted(reason: reason) }
        try Task.checkCancellation()
    }

    /// Appends to the job's token stream (`docs/streaming.md`): the first call of an attempt writes
    /// its `attempt` entry before `entries`. A failure to write is logged once and never fails the
    /// job: the answer is stored with the job whatever happens to its stream. When the attempt fails
    /// after streaming, the worker writes the stream's `error` entry.
    public func stream(_ entries: TokenEntry.Kind...) async {
        await tokens.append(entries)
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
