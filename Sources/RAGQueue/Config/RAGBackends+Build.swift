import Logging

extension RAGBackends {
    /// Embeddings, Qdrant and chat clients on one HTTP client built from `configuration`; local
    /// embeddings when no OpenAI key is set. With `pacing` (the queue's store) and pacing enabled,
    /// the model calls wait for the providers' budgets that every worker shares.
    public init(configuration: RAGQueueConfiguration, logger: Logger, pacing store: (any ProviderLimitStore)? = nil) throws {
        let httpClient = try CurlHTTPClient(configuration: configuration.http, logger: logger)
        let openAI = configuration.openAI
        let pacing = configuration.pacing.isEnabled ? store : nil
        // A pacer for each model that is called: none when pacing is off.
        func pacer(_ model: String, _ limits: ProviderLimits, deadline: Duration?) -> ProviderPacer? {
            pacing.map {
                ProviderPacer(
                    model: model, limits: limits, store: $0, leaseWindow: configuration.pacing.leaseWindow,
                    callDeadline: deadline ?? configuration.http.timeout, logger: logger
                )
            }
        }
        let chatPacer = pacer(configuration.chat.model, configuration.pacing.chat, deadline: configuration.chat.timeout)
        var embeddingPacer: ProviderPacer?
        var embeddings: any EmbeddingModel = LocalEmbeddings(configuration: configuration.localEmbeddings)
        if configuration.hasOpenAIKey {
            embeddingPacer = pacer(configuration.embeddings.model, configuration.pacing.embeddings, deadline: configuration.embeddings.timeout)
            embeddings = OpenAIEmbeddings(
                endpoint: openAI, configuration: configuration.embeddings, httpClient: httpClient, logger: logger,
                observer: embeddingPacer.map { pacer in { @Sendable headers in pacer.observe(headers) } }
            )
            if let embeddingPacer { embeddings = PacedEmbeddingModel(embeddings, pacer: embeddingPacer) }
        }
        var chat: any ChatModel = OpenAIChatModel(
            endpoint: openAI, configuration: configuration.chat, httpClient: httpClient, logger: logger,
            observer: chatPacer.map { pacer in { @Sendable headers in pacer.observe(headers) } }
        )
        if let chatPacer {
            chat = PacedChatModel(chat, pacer: chatPacer, expectedCompletionTokens: configuration.chat.maxCompletionTokens ?? 256)
        }
        self.init(
            httpClient: httpClient,
            embeddings: embeddings,
            vectorStore: QdrantVectorStore(configuration: configuration.qdrant, httpClient: httpClient, logger: logger),
            chat: chat,
            usesLocalEmbeddings: !configuration.hasOpenAIKey,
            pacers: [chatPacer, embeddingPacer].compactMap { $0 }
        )
    }

    /// The pipeline over these backends.
    public func pipeline(_ configuration: RAGPipeline.Configuration, metrics: WorkerMetrics = WorkerMetrics()) -> RAGPipeline {
        RAGPipeline(configuration: configuration, embeddings: embeddings, vectorStore: vectorStore, chat: chat, metrics: metrics)
    }

    /// An ingester storing through these backends.
    public func ingester(_ configuration: DocumentIngester.Configuration) -> DocumentIngester {
        DocumentIngester(configuration: configuration, embeddings: embeddings, vectorStore: vectorStore)
    }
}

extension RAGQueueConfiguration {
    /// What the API reserves against a tenant's budget per query, from these models, prices and sizes.
    public var costEstimator: CostEstimator {
        CostEstimator(
            embeddingModel: hasOpenAIKey ? embeddings.model : LocalEmbeddings(configuration: localEmbeddings).modelName,
            chatModel: chat.model, prices: pipeline.prices, chunkCharacters: ingest.chunkSize,
            maxCompletionTokens: chat.maxCompletionTokens ?? 1000
        )
    }
}

extension RAGQueueConfiguration {
    /// The answer cache's policy: its time to live and what besides the query shapes an answer.
    public var answerCache: AnswerCachePolicy {
        let pipeline = self.pipeline
        let options = pipeline.chatOptions
        let prompt = [
            PromptBuilder.version, pipeline.prompt.pageNumbering.rawValue, String(pipeline.excerptLength),
            options.maxCompletionTokens.map(String.init) ?? chat.maxCompletionTokens.map(String.init) ?? "", options.temperature.map { "\($0)" } ?? "",
        ]
        return AnswerCachePolicy(
            ttl: answerCacheTTL, chatModel: chat.model, promptVersion: prompt.joined(separator: "/"), shared: answerCacheShared,
            semanticThreshold: semanticCacheThreshold, embeddingModel: embeddings.model
        )
    }
}
