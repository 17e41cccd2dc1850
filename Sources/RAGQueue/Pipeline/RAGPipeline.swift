/// Answers one question: embed it, retrieve the nearest chunks, ask the chat model with them as context.
///
/// Stages are timed as `embed`, `retrieve` and `generate` when a `JobContext` is given, and
/// cancellation is checked between them. Backend failures surface as `BackendError`s, or as
/// `JobFailure`s where the pipeline knows better what to say (missing collection, vector size).
public struct RAGPipeline: Sendable {
    /// How questions are answered.
    public struct Configuration: Sendable, Hashable {
        /// Collection searched when the query names none. Default `learning_vectors`.
        public var defaultCollection: String = "learning_vectors"
        /// Most chunks a query may ask for. Default 20.
        public var maxTopK: Int = 20
        /// Characters of each chunk kept as the source's excerpt. Default 240.
        public var excerptLength: Int = 240
        /// How the prompt numbers pages. Default `.label`.
        public var prompt = PromptBuilder()
        /// Per-call chat settings (token limit, timeout). Default: the client's.
        public var chatOptions = ChatOptions()
        /// Times one stage may wait out a rate limit (429) inside the attempt. Default 2.
        public var rateLimitRetries: Int = 2
        /// Longest `Retry-After` waited out inside the attempt; a longer one (or none) fails the
        /// attempt, and the queue retries it later. Default 10 s.
        public var maxRateLimitWait: Duration = .seconds(10)

        /// The defaults.
        public init() {}
    }

    /// The settings in use.
    public let configuration: Configuration
    /// Turns the question into a vector.
    public let embeddings: any EmbeddingModel
    /// Finds the chunks.
    public let vectorStore: any VectorStore
    /// Writes the answer.
    public let chat: any ChatModel

    /// A pipeline over the three backends.
    public init(configuration: Configuration = .init(), embeddings: any EmbeddingModel, vectorStore: any VectorStore, chat: any ChatModel) {
        self.configuration = configuration
        self.embeddings = embeddings
        self.vectorStore = vectorStore
        self.chat = chat
    }

    /// Answers `query`. With `onDelta`, the answer is streamed and each piece handed over as it comes
    /// (`query.stream` decides nothing here: the caller does, by passing `onDelta` or not).
    public func answer(
        _ query: RAGQuery,
        context: JobContext? = nil,
        onDelta: (@Sendable (String) async throws -> Void)? = nil
    ) async throws -> RAGAnswer {
        let question = try Self.validQuestion(query.query)
        let topK = try validTopK(query.topK)
        let collection = try validCollection(query.collection)
        let filter = try Self.payloadFilter(query.filter)

        let vector = try await stage("embed", context) { try await embeddings.embed(question) }
        try checkCancellation(context)
        let hits = try await stage("retrieve", context) {
            try await retrieve(vector: vector, collection: collection, limit: topK, filter: filter)
        }
        try checkCancellation(context)
        let messages = configuration.prompt.messages(question: question, hits: hits)
        let completion = try await stage("generate", context) { try await generate(messages, onDelta: onDelta) }
        return RAGAnswer(
            answer: completion.text,
            sources: hits.map(source),
            model: completion.model,
            embeddingModel: embeddings.modelName,
            collection: collection,
            usage: completion.usage
        )
    }

    /// The `limit` nearest chunks, with a missing collection and a vector size mismatch explained.
    func retrieve(vector: [Float], collection: String, limit: Int, filter: PayloadFilter?) async throws -> [ScoredPoint] {
        do {
            return try await vectorStore.query(VectorQuery(vector: vector, limit: limit, filter: filter), in: collection)
        } catch let error as BackendError where error.code == .notFound {
            throw JobFailure(
                code: "collection_not_found",
                message: "collection `\(collection)` does not exist in Qdrant; index documents first "
                    + "(ragserve ingest PATH --collection \(collection)) or name another collection",
                transient: false
            )
        } catch let error as BackendError where error.code == .dimensionMismatch {
            throw JobFailure(
                code: "dimension_mismatch",
                message: "collection `\(collection)` holds vectors of another size than \(embeddings.modelName) makes "
                    + "(\(vector.count)); query with the model it was indexed with, or re-index it: \(error.message)",
                transient: false
            )
        }
    }

    /// The chat model's answer, streamed through `onDelta` when given.
    func generate(_ messages: [ChatMessage], onDelta: (@Sendable (String) async throws -> Void)?) async throws -> ChatCompletion {
        guard let onDelta else {
            return try await chat.complete(messages, options: configuration.chatOptions)
        }
        let stream = try await chat.streamCompletion(messages, options: configuration.chatOptions)
        for try await event in stream {
            switch event {
            case .delta(let text):
                if !text.isEmpty { try await onDelta(text) }
            case .completed(let completion):
                return completion
            }
        }
        throw BackendError(.invalidResponse, backend: "openai", message: "the answer stream ended without its final event")
    }

    /// A result source for a hit.
    func source(_ hit: ScoredPoint) -> RAGAnswer.Source {
        let text = hit.pageContent ?? ""
        var excerpt = String(text.prefix(configuration.excerptLength))
        if excerpt.count < text.count { excerpt += "…" }
        return RAGAnswer.Source(
            id: hit.id.description, score: hit.score, page: hit.page, pageLabel: hit.pageLabel, source: hit.source, excerpt: excerpt
        )
    }

    // MARK: Checks

    static func validQuestion(_ text: String) throws -> String {
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw JobFailure(code: "invalid_payload", message: "the question is empty", transient: false)
        }
        return text
    }

    func validTopK(_ topK: Int) throws -> Int {
        guard (1...configuration.maxTopK).contains(topK) else {
            throw JobFailure(
                code: "invalid_payload", message: "top_k must be from 1 to \(configuration.maxTopK), got \(topK)", transient: false
            )
        }
        return topK
    }

    func validCollection(_ name: String?) throws -> String {
        let collection = name ?? configuration.defaultCollection
        guard !collection.isEmpty, collection.count <= 255, !collection.contains(where: { $0 == "/" || $0.isNewline }) else {
            throw JobFailure(code: "invalid_payload", message: "collection name \"\(collection)\" is not valid", transient: false)
        }
        return collection
    }

    /// Exact-match conditions, all of which must hold; nil when there are none.
    static func payloadFilter(_ conditions: [String: JSONValue]?) throws -> PayloadFilter? {
        guard let conditions, !conditions.isEmpty else { return nil }
        var matches: [PayloadFilter] = []
        for key in conditions.keys.sorted() {
            guard let value = conditions[key] else { continue }
            switch value {
            case .string, .integer, .bool:
                matches.append(.match(key: key, value: value))
            case .array(let values) where values.allSatisfy({ $0.isScalarMatch }):
                matches.append(.matchAny(key: key, values: values))
            default:
                throw JobFailure(
                    code: "invalid_payload",
                    message: "filter `\(key)` must be a string, an integer, a boolean or a list of those",
                    transient: false
                )
            }
        }
        return .all(matches)
    }

    // MARK: Stages

    /// Runs a stage, timed when there is a context. A rate limit with a short `Retry-After` is waited
    /// out here, up to `rateLimitRetries` times, as the providers' own clients do: a burst of 429s
    /// then costs seconds instead of the job's attempts. Everything else goes to the queue's retries.
    private func stage<T>(_ name: String, _ context: JobContext?, _ body: () async throws -> T) async throws -> T {
        var waits = 0
        while true {
            do {
                guard let context else { return try await body() }
                return try await context.stage(name, body)
            } catch let error as BackendError where error.code == .rateLimited && waits < configuration.rateLimitRetries {
                guard let pause = error.retryAfter, pause <= configuration.maxRateLimitWait else { throw error }
                waits += 1
                try await Task.sleep(for: pause)
                try checkCancellation(context)
            }
        }
    }

    private func checkCancellation(_ context: JobContext?) throws {
        if let context { try context.checkCancellation() } else { try Task.checkCancellation() }
    }
}

extension JSONValue {
    /// Whether Qdrant's `match.value` accepts this value.
    fileprivate var isScalarMatch: Bool {
        switch self {
        case .string, .integer, .bool: true
        default: false
        }
    }
}
