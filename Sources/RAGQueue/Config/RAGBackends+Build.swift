import Logging

extension RAGBackends {
    /// Embeddings, Qdrant and chat clients on one HTTP client built from `configuration`; local
    /// embeddings when no OpenAI key is set.
    public init(configuration: RAGQueueConfiguration, logger: Logger) throws {
        let httpClient = try CurlHTTPClient(configuration: configuration.http, logger: logger)
        let openAI = configuration.openAI
        let embeddings: any EmbeddingModel = configuration.hasOpenAIKey
            ? OpenAIEmbeddings(endpoint: openAI, configuration: configuration.embeddings, httpClient: httpClient, logger: logger)
            : LocalEmbeddings(configuration: configuration.localEmbeddings)
        self.init(
            httpClient: httpClient,
            embeddings: embeddings,
            vectorStore: QdrantVectorStore(configuration: configuration.qdrant, httpClient: httpClient, logger: logger),
            chat: OpenAIChatModel(endpoint: openAI, configuration: configuration.chat, httpClient: httpClient, logger: logger),
            usesLocalEmbeddings: !configuration.hasOpenAIKey
        )
    }

    /// The pipeline over these backends.
    public func pipeline(_ configuration: RAGPipeline.Configuration) -> RAGPipeline {
        RAGPipeline(configuration: configuration, embeddings: embeddings, vectorStore: vectorStore, chat: chat)
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
