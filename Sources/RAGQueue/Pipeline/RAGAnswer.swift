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
