/// A question to answer: the one contract of a RAG query, from the API's body through the job's
/// payload to the pipeline.
///
/// On the wire (the body of `POST /v1/queries`, and the `rag.query` job's payload) it is one JSON
/// object with the fields `query` (required), `collection`, `top_k`, `filter`, `stream`,
/// `priority`, `callback_url` and `cache`; any other field is refused. `init(json:)` reads that shape, `validated(by:)`
/// checks it against the deployment's `QueryRules` and fills the defaults, `json` writes it. The API,
/// the CLI and the worker all go through these three; nothing else builds or reads a query.
public struct RAGQuery: Sendable, Hashable {
    /// The job kind that runs RAG queries.
    public static let kind = "rag.query"

    /// The question.
    public var query: String
    /// The collection to search; nil means the rules' default (`RAG_COLLECTION`).
    public var collection: String?
    /// How many chunks to put in the prompt; nil means the rules' default (`RAG_TOP_K`).
    public var topK: Int?
    /// Exact-match conditions on payload fields by dotted key (`metadata.source`), all of which must
    /// hold; a list value matches any of its elements.
    public var filter: [String: JSONValue]?
    /// Whether the worker streams the answer's tokens as they come.
    public var stream: Bool
    /// Where to POST the result when the job ends.
    public var callbackURL: String?
    /// 0...9, higher runs first among the tenant's queries; nil means the default, 5.
    public var priority: Int?
    /// Whether an answer cached for the same question may answer it (`RAGQ_ANSWER_CACHE_TTL_SECONDS`);
    /// nil means yes. False asks for a fresh answer, which is cached in turn.
    public var cache: Bool?

    /// A query; nil fields take the deployment's defaults when validated.
    public init(
        query: String, collection: String? = nil, topK: Int? = nil, filter: [String: JSONValue]? = nil, stream: Bool = false,
        callbackURL: String? = nil, priority: Int? = nil, cache: Bool? = nil
    ) {
        self.query = query
        self.collection = collection
        self.topK = topK
        self.filter = filter
        self.stream = stream
        self.callbackURL = callbackURL
        self.priority = priority
        self.cache = cache
    }
}
