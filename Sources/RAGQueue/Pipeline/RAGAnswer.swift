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
    /// What answering used and cost.
    public var usage: RAGUsage
    /// Milliseconds per stage (`embed_ms`, `retrieve_ms`, `generate_ms`; the worker adds
    /// `queue_wait_ms`), with the unit in each name.
    public var timings: [String: Double]

    public init(
        answer: String, sources: [Source], model: String, embeddingModel: String, collection: String, usage: RAGUsage = RAGUsage(),
        timings: [String: Double] = [:]
    ) {
        self.answer = answer
        self.sources = sources
        self.model = model
        self.embeddingModel = embeddingModel
        self.collection = collection
        self.usage = usage
        self.timings = timings
    }

    enum CodingKeys: String, CodingKey {
        case answer, sources, model, collection, usage, timings
        case embeddingModel = "embedding_model"
    }
}

/// What one answer used: tokens of each model, vector searches, and what they cost in dollars
/// (from the `PriceTable`; nil when a model has no price).
public struct RAGUsage: Sendable, Hashable, Codable {
    /// Tokens the embeddings model counted.
    public var embeddingTokens = 0
    /// Prompt tokens of the chat model.
    public var promptTokens = 0
    /// Tokens the chat model wrote.
    public var completionTokens = 0
    /// Queries sent to the vector store.
    public var vectorSearches = 0
    /// Dollars for the embeddings; nil when the model has no price.
    public var embeddingCostUSD: Double?
    /// Dollars for the chat completion; nil when the model has no price.
    public var chatCostUSD: Double?

    /// Nothing used yet.
    public init() {}

    /// Every model token: embeddings, prompt and completion.
    public var totalTokens: Int { embeddingTokens + promptTokens + completionTokens }

    /// Dollars for everything priced so far.
    public var costUSD: Double { (embeddingCostUSD ?? 0) + (chatCostUSD ?? 0) }

    enum CodingKeys: String, CodingKey {
        case embeddingTokens = "embedding_tokens"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case vectorSearches = "vector_searches"
        case embeddingCostUSD = "embedding_cost_usd"
        case chatCostUSD = "chat_cost_usd"
        case costUSD = "cost_usd"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        embeddingTokens = try container.decodeIfPresent(Int.self, forKey: .embeddingTokens) ?? 0
        promptTokens = try container.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        completionTokens = try container.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        vectorSearches = try container.decodeIfPresent(Int.self, forKey: .vectorSearches) ?? 0
        embeddingCostUSD = try container.decodeIfPresent(Double.self, forKey: .embeddingCostUSD)
        chatCostUSD = try container.decodeIfPresent(Double.self, forKey: .chatCostUSD)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(embeddingTokens, forKey: .embeddingTokens)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
        try container.encode(vectorSearches, forKey: .vectorSearches)
        try container.encodeIfPresent(embeddingCostUSD, forKey: .embeddingCostUSD)
        try container.encodeIfPresent(chatCostUSD, forKey: .chatCostUSD)
        try container.encode(costUSD, forKey: .costUSD)
    }
}

extension RAGAnswer {
    /// The stored and served shape, the one `Codable` reads back: snake-case keys, fields without
    /// a value left out. Built as a `JSONValue` so the worker writes it without `JSONEncoder`; a
    /// score keeps `Float`'s shortest digits (`0.8123`, not the `Double` it widens to).
    public var json: JSONValue {
        let members: [String: JSONValue] = [
            "answer": .string(answer),
            "sources": .array(sources.map(\.json)),
            "model": .string(model),
            "embedding_model": .string(embeddingModel),
            "collection": .string(collection),
            "usage": usage.json,
            "timings": .object(timings.mapValues(JSONValue.number)),
        ]
        return .object(members)
    }
}

extension RAGAnswer.Source {
    /// One source as `RAGAnswer.json` writes it.
    var json: JSONValue {
        var members: [String: JSONValue] = ["id": .string(id), "score": .number(Double(score.description) ?? Double(score)), "excerpt": .string(excerpt)]
        if let page { members["page"] = .integer(page) }
        if let pageLabel { members["page_label"] = .string(pageLabel) }
        if let source { members["source"] = .string(source) }
        return .object(members)
    }
}

extension RAGUsage {
    /// The usage as `RAGAnswer.json` writes it: the same fields as `encode(to:)`.
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "embedding_tokens": .integer(embeddingTokens), "prompt_tokens": .integer(promptTokens),
            "completion_tokens": .integer(completionTokens), "total_tokens": .integer(totalTokens),
            "vector_searches": .integer(vectorSearches), "cost_usd": .number(costUSD),
        ]
        if let embeddingCostUSD { members["embedding_cost_usd"] = .number(embeddingCostUSD) }
        if let chatCostUSD { members["chat_cost_usd"] = .number(chatCostUSD) }
        return .object(members)
    }
}
