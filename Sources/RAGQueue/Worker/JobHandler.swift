/// Runs jobs of one kind. Errors it throws become the job's failure through the worker's one
/// mapping (`JobFailure.init(for:)`): a `JobFailure` as it is, a `RAGError` or `BackendError` with
/// its code and retry advice, anything else as `internal`, which is not retried.
public protocol JobHandler: Sendable {
    /// The kind this handler runs (`rag.query`, `noop`, ...).
    var kind: String { get }
    /// Runs one attempt and returns the result to store.
    func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8]
}
