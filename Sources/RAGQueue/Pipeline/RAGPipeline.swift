import Tracing

/// Answers one question: embed it, retrieve the nearest chunks, ask the chat model with them as context.
///
/// It knows nothing of jobs: it takes a `RAGQuery` and returns a `RAGAnswer` or throws a `RAGError`.
/// Each stage's duration goes to `onStage`; a streamed answer's pieces go to `onDelta` as they come.
/// Cancelling the calling task stops it between stages and aborts the call in flight.
public struct RAGPipeline: Sendable {
    /// How questions are answered.
    public struct Configuration: Sendable, Hashable {
        /// What a query may ask, and the defaults it gets.
        public var rules = QueryRules()
        /// Characters of each chunk kept as the source's excerpt. Default 240.
        public var excerptLength: Int = 240
        /// How the prompt numbers pages. Default `.label`.
        public var prompt = PromptBuilder()
        /// Per-call chat settings (token limit, timeout). Default: the client's.
        public var chatOptions = ChatOptions()
        /// What the models cost, for each answer's `usage`. Default: OpenAI's list prices.
        public var prices = PriceTable.defaults
        /// Times one stage may wait out a rate limit (429) inside the answer. Default 2.
        public var rateLimitRetries: Int = 2
        /// Longest `Retry-After` waited out inside the answer; a longer one (or none) fails the stage,
        /// and the caller decides when to try again. Default 10 s.
        public var maxRateLimitWait: Duration = .seconds(10)

        /// The defaults.
        public init() {}
    }

    /// The stages of an answer, in order; their raw values name them in timings and metrics.
    public enum Stage: String, Sendable, Hashable, CaseIterable {
        /// The question becomes a vector.
        case embed
        /// The nearest chunks are found.
        case retrieve
        /// The chat model writes the answer.
        case generate
    }

    /// The settings in use.
    public let configuration: Configuration
    /// Turns the question into a vector.
    public let embeddings: any EmbeddingModel
    /// Finds the chunks.
    public let vectorStore: any VectorStore
    /// Writes the answer.
    public let chat: any ChatModel
    /// Where the providers' 429s are counted.
    public let metrics: WorkerMetrics

    /// A pipeline over the three backends.
    public init(
        configuration: Configuration = .init(), embeddings: any EmbeddingModel, vectorStore: any VectorStore, chat: any ChatModel,
        metrics: WorkerMetrics = WorkerMetrics()
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.embeddings = embeddings
        self.vectorStore = vectorStore
        self.chat = chat
    }

    /// Answers `query` (validated by the configuration's rules first). With `onDelta` the answer is
    /// streamed and each piece handed over as it comes. `reuse` sees the question's embedding and
    /// may return an earlier answer to stand for this one (the semantic answer cache): then no
    /// retrieval or chat call is made, and the answer carries this question's usage and timings.
    public func answer(
        _ asked: RAGQuery,
        onStage: @Sendable (Stage, Duration) -> Void = { _, _ in },
        onDelta: (@Sendable (String) async -> Void)? = nil,
        reuse: (@Sendable ([Float]) async -> RAGAnswer?)? = nil
    ) async throws(RAGError) -> RAGAnswer {
        let query: RAGQuery
        do {
            query = try asked.validated(by: configuration.rules)
        } catch {
            throw .invalidQuery(error)
        }
        let collection = query.collection ?? configuration.rules.defaultCollection
        let topK = query.topK ?? configuration.rules.defaultTopK
        let filter = Self.payloadFilter(query.filter)
        var usage = RAGUsage()
        var timings: [String: Double] = [:]
        let failed = { (stage: Stage, error: any Error) in
            RAGError.failed(stage, error, collection: collection, model: embeddings.modelName)
        }
        let timed = { (stage: Stage, duration: Duration) in
            timings[stage.rawValue + "_ms"] = (duration.seconds * 10_000).rounded() / 10
            onStage(stage, duration)
        }
        do throws(RAGError) {
            let embedded = try await stage(.embed, timed, failed, describe: { embedded in
                ["gen_ai.operation.name": "embeddings", "gen_ai.request.model": .string(embeddings.modelName),
                 "gen_ai.usage.input_tokens": .int64(Int64(embedded.tokens))]
            }) { try await embeddings.embeddings(for: [query.query]) }
            usage.embeddingTokens = embedded.tokens
            usage.embeddingCostUSD = configuration.prices.cost(model: embeddings.modelName, input: embedded.tokens)
            guard embedded.vectors.count == 1, let vector = embedded.vectors.first else {
                throw failed(.embed, BackendError(.invalidResponse, backend: embeddings.modelName, message: "expected 1 embedding, got \(embedded.vectors.count)"))
            }
            if let reuse, var reused = await reuse(vector) {
                reused.usage = usage
                reused.timings = timings
                return reused
            }
            usage.vectorSearches += 1
            let hits = try await stage(.retrieve, timed, failed, describe: { hits in
                ["db.operation.name": "query", "db.collection.name": .string(collection), "ragqueue.top_k": .int64(Int64(topK)),
                 "ragqueue.hits": .int64(Int64(hits.count))]
            }) {
                try await vectorStore.query(VectorQuery(vector: vector, limit: topK, filter: filter), in: collection)
            }
            let completion = try await stage(.generate, timed, failed, describe: { completion in
                ["gen_ai.operation.name": "chat", "gen_ai.request.model": .string(chat.modelName), "gen_ai.response.model": .string(completion.model),
                 "gen_ai.usage.input_tokens": .int64(Int64(completion.usage?.promptTokens ?? 0)),
                 "gen_ai.usage.output_tokens": .int64(Int64(completion.usage?.completionTokens ?? 0))]
            }) { try await generate(configuration.prompt.messages(question: query.query, hits: hits), onDelta: onDelta) }
            usage.promptTokens = completion.usage?.promptTokens ?? 0
            usage.completionTokens = completion.usage?.completionTokens ?? 0
            usage.chatCostUSD = configuration.prices.cost(model: chat.modelName, input: usage.promptTokens, output: usage.completionTokens)
            return RAGAnswer(
                answer: completion.text, sources: hits.map(source), model: completion.model, embeddingModel: embeddings.modelName,
                collection: collection, usage: usage, timings: timings
            )
        } catch {
            var error = error
            error.usage = usage
            throw error
        }
    }

    /// The chat model's answer, streamed through `onDelta` when given.
    func generate(_ messages: consuming [ChatMessage], onDelta: (@Sendable (String) async -> Void)?) async throws -> ChatCompletion {
        guard let onDelta else {
            return try await chat.complete(messages, options: configuration.chatOptions)
        }
        let stream = try await chat.streamCompletion(messages, options: configuration.chatOptions)
        for try await event in stream {
            switch event {
            case .delta(let text):
                if !text.isEmpty { await onDelta(text) }
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

    /// A validated query's conditions as a filter, all of which must hold (a list matches any of its
    /// values); nil when there are none.
    static func payloadFilter(_ conditions: [String: JSONValue]?) -> PayloadFilter? {
        guard let conditions, !conditions.isEmpty else { return nil }
        return .all(conditions.keys.sorted().compactMap { key in
            switch conditions[key] {
            case .array(let values)?: .matchAny(key: key, values: values)
            case let value?: .match(key: key, value: value)
            case nil: nil
            }
        })
    }

    // MARK: Stages

    /// Runs a stage, timed. A rate limit with a short `Retry-After` is waited out here, up to
    /// `rateLimitRetries` times, as the providers' own clients do: a burst of 429s then costs seconds
    /// instead of a failed answer. Any other failure, and cancellation, ends the answer. Traced as a
    /// client span named after the stage, with `describe`'s attributes of what it returned.
    private func stage<T>(
        _ stage: Stage, _ onStage: (Stage, Duration) -> Void,
        _ failed: (Stage, any Error) -> RAGError, describe: (T) -> SpanAttributes, _ body: () async throws -> T
    ) async throws(RAGError) -> T {
        if Task.isCancelled { throw .canceled(during: stage) }
        let span = startSpan(stage.rawValue, ofKind: .client)
        defer { span.end() }
        let start = ContinuousClock.now
        defer { onStage(stage, ContinuousClock.now - start) }
        var waits = 0
        func failing(_ error: RAGError) -> RAGError {
            span.recordError(error)
            span.setStatus(.init(code: .error))
            return error
        }
        while true {
            do {
                let value = try await body()
                span.attributes.merge(describe(value))
                return value
            } catch let error as BackendError where error.code == .rateLimited {
                metrics.throttled(stage: stage.rawValue)
                span.addEvent(SpanEvent(name: "rate limited", attributes: ["ragqueue.retry_after_ms": .int64(error.retryAfter?.milliseconds ?? -1)]))
                guard waits < configuration.rateLimitRetries, let pause = error.retryAfter, pause <= configuration.maxRateLimitWait else {
                    throw failing(failed(stage, error))
                }
                waits += 1
                do {
                    try await Task.sleep(for: pause)
                } catch {
                    throw failing(.canceled(during: stage))
                }
            } catch {
                throw failing(failed(stage, error))
            }
        }
    }
}
