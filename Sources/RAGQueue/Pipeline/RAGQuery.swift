/// The payload of a `rag.query` job: what the user asked and how to answer it.
public struct RAGQuery: Sendable, Hashable, Codable {
    /// The job kind that runs RAG queries.
    public static let kind = "rag.query"

    /// The question.
    public var query: String
    /// The collection to search; nil means the configured default (`RAG_COLLECTION`).
    public var collection: String?
    /// How many chunks to put in the prompt. Default 4, as the seed.
    public var topK: Int
    /// Exact-match conditions on payload fields, by dotted key (`metadata.source`), all of which must hold.
    public var filter: [String: JSONValue]?
    /// Whether the worker streams the answer's tokens as they come.
    public var stream: Bool
    /// Where to POST the result when the job ends.
    public var callbackURL: String?

    public init(query: String, collection: String? = nil, topK: Int = 4, filter: [String: JSONValue]? = nil, stream: Bool = false, callbackURL: String? = nil) {
        self.query = query
        self.collection = collection
        self.topK = topK
        self.filter = filter
        self.stream = stream
        self.callbackURL = callbackURL
    }

    enum CodingKeys: String, CodingKey {
        case query, collection, filter, stream
        case topK = "top_k"
        case callbackURL = "callback_url"
    }
}

/// The result of a `rag.query` job: the answer and where it came from.
public struct RAGAnswer: Sendable, Hashable, Codable {
    /// One retrieved chunk that went into the prompt.
    public struct Source: Sendable, Hashable, Codable {
        /// The point's id in the vector store.
        public var id: String
        /// Similarity score (cosine: higher is closer).
        public var score: Float
        /// 0-based page number from the loader, when known.
        public var page: Int?
        /// Printed page label, when known.
        public var pageLabel: String?
        /// The source file or URL.
        public var source: String?
        /// The start of the chunk's text.
        public var excerpt: String

        public init(id: String, score: Float, page: Int?, pageLabel: String?, source: String?, excerpt: String) {
            self.id = id
            self.score = score
            self.page = page
            self.pageLabel = pageLabel
            self.source = source
            self.excerpt = excerpt
        }

        enum CodingKeys: String, CodingKey {
            case id, score, page, source, excerpt
            case pageLabel = "page_label"
        }
    }

    /// The chat model's answer.
    public var answer: String
    /// The chunks given as context, best first.
    public var sources: [Source]
    /// The chat model that answered.
    public var model: String
    /// The embedding model used for retrieval.
    public var embeddingModel: String
    /// The collection searched.
    public var collection: String
    /// Token usage, when the model reported it.
    public var usage: TokenUsage?

    public init(answer: String, sources: [Source], model: String, embeddingModel: String, collection: String, usage: TokenUsage?) {
        self.answer = answer
        self.sources = sources
        self.model = model
        self.embeddingModel = embeddingModel
        self.collection = collection
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case answer, sources, model, collection, usage
        case embeddingModel = "embedding_model"
    }
}
