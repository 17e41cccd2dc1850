/// Why a question could not be answered, with the stage that failed and whether trying again may help.
///
/// Backend failures keep their `BackendError` (and its retry advice); where the pipeline knows what
/// a failure means (a missing collection, vectors of another size, an unknown model) it says so.
public struct RAGError: Error, Sendable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidQuery = "invalid_query"
        case collectionNotFound = "collection_not_found"
        case dimensionMismatch = "dimension_mismatch"
        case modelNotFound = "model_not_found"
        case backend
        case canceled
    }

    private let code: Code
    /// The stage that failed; nil when the query was refused before any.
    public let stage: RAGPipeline.Stage?
    /// What went wrong and what to do, in words a person can act on; never carries a key.
    public let message: String
    /// The backend's error underneath, when a backend call failed.
    public let backendError: BackendError?
    /// What the stages before the failure used: it was paid for all the same.
    public internal(set) var usage = RAGUsage()

    private init(_ code: Code, stage: RAGPipeline.Stage?, _ message: String, backendError: BackendError? = nil) {
        self.code = code
        self.stage = stage
        self.message = message
        self.backendError = backendError
    }

    /// A short stable code, usable as a metric label and stored as the job failure's code:
    /// `invalid_query`, `collection_not_found`, `dimension_mismatch`, `model_not_found`, `canceled`,
    /// or the backend error's code (`rate_limited`, `server_error`, `timeout`, ...).
    public var codeName: String {
        if code == .backend, let backendError { return backendError.code.description }
        return code.rawValue
    }

    /// Whether the same question may be answered when asked again later.
    public var isTransient: Bool { code == .backend && (backendError?.isTransient ?? false) }

    /// How long the backend asked to wait before trying again, when it said and it may help.
    public var retryAfter: Duration? { isTransient ? backendError?.retryAfter : nil }

    public var description: String { "\(codeName): \(message)" }

    /// The query breaks the rules.
    public static func invalidQuery(_ error: QueryValidationError) -> RAGError {
        .init(.invalidQuery, stage: nil, error.message)
    }

    /// The question was withdrawn (the calling task was cancelled).
    public static func canceled(during stage: RAGPipeline.Stage?) -> RAGError {
        .init(.canceled, stage: stage, "the answer was cancelled")
    }

    /// The error a failed call of `stage` means, with the collection it searched.
    static func failed(_ stage: RAGPipeline.Stage, _ error: any Error, collection: String, model: String) -> RAGError {
        if let error = error as? RAGError { return error }
        if error is CancellationError { return .canceled(during: stage) }
        let backend = BackendError.transport(error, backend: stage == .retrieve ? "qdrant" : "openai")
        switch (stage, backend.code) {
        case (_, .canceled):
            return .canceled(during: stage)
        case (.retrieve, .notFound):
            return .init(
                .collectionNotFound, stage: stage,
                "collection `\(collection)` does not exist in Qdrant; index documents first "
                    + "(ragserve ingest PATH --collection \(collection)) or name another collection",
                backendError: backend
            )
        case (.retrieve, .dimensionMismatch):
            return .init(
                .dimensionMismatch, stage: stage,
                "collection `\(collection)` holds vectors of another size than \(model) makes; query with the model it was "
                    + "indexed with, or re-index it: \(backend.message)",
                backendError: backend
            )
        case (.embed, .notFound), (.generate, .notFound):
            return .init(
                .modelNotFound, stage: stage,
                "\(backend.explanation); check OPENAI_CHAT_MODEL, OPENAI_EMBEDDING_MODEL and OPENAI_BASE_URL",
                backendError: backend
            )
        default:
            return .init(.backend, stage: stage, backend.explanation, backendError: backend)
        }
    }
}
