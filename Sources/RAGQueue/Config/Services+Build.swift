import Logging

/// An HTTP client with the configuration's OpenAI timeouts as defaults.
public func buildHTTPClient(configuration: RAGQueueConfiguration, logger: Logger) throws -> CurlHTTPClient {
    var http = CurlHTTPClient.Configuration()
    http.timeout = configuration.openAI.requestTimeout
    http.connectTimeout = configuration.openAI.connectTimeout
    return try CurlHTTPClient(configuration: http, logger: logger)
}

/// Embeddings, Qdrant and chat clients on `httpClient`; local embeddings when no OpenAI key is set.
public func buildRAGBackends(configuration: RAGQueueConfiguration, httpClient: CurlHTTPClient, logger: Logger) -> RAGBackends {
    let openAI = configuration.openAI
    let endpoint = OpenAIEndpoint(
        apiKey: openAI.apiKey ?? "", baseURL: openAI.baseURL, organization: openAI.organization, project: openAI.project
    )
    let embeddings: any EmbeddingModel
    if openAI.apiKey != nil {
        var embeddingConfiguration = OpenAIEmbeddings.Configuration(
            endpoint: endpoint, model: openAI.embeddingModel, dimensions: openAI.embeddingDimensions
        )
        embeddingConfiguration.timeout = openAI.requestTimeout
        embeddings = OpenAIEmbeddings(configuration: embeddingConfiguration, httpClient: httpClient, logger: logger)
    } else {
        var local = LocalEmbeddings.Configuration()
        local.dimension = configuration.worker.localEmbeddingDimension
        embeddings = LocalEmbeddings(configuration: local)
    }
    var chatConfiguration = OpenAIChatModel.Configuration(endpoint: endpoint, model: openAI.chatModel)
    chatConfiguration.maxCompletionTokens = openAI.maxCompletionTokens
    chatConfiguration.timeout = openAI.requestTimeout
    var qdrant = QdrantVectorStore.Configuration(baseURL: configuration.qdrant.url, apiKey: configuration.qdrant.apiKey)
    qdrant.timeout = configuration.qdrant.requestTimeout
    return RAGBackends(
        httpClient: httpClient,
        embeddings: embeddings,
        vectorStore: QdrantVectorStore(configuration: qdrant, httpClient: httpClient, logger: logger),
        chat: OpenAIChatModel(configuration: chatConfiguration, httpClient: httpClient, logger: logger),
        usesLocalEmbeddings: openAI.apiKey == nil
    )
}

/// The pipeline over `backends` with the configuration's retrieval settings.
public func buildPipeline(configuration: RAGQueueConfiguration, backends: RAGBackends) -> RAGPipeline {
    var pipeline = RAGPipeline.Configuration()
    pipeline.defaultCollection = configuration.rag.defaultCollection
    pipeline.maxTopK = configuration.rag.maxTopK
    pipeline.excerptLength = configuration.rag.excerptLength
    pipeline.rateLimitRetries = configuration.rag.rateLimitRetries
    pipeline.maxRateLimitWait = configuration.rag.maxRateLimitWait
    pipeline.prompt = PromptBuilder(pageNumbering: configuration.rag.pageNumbering)
    return RAGPipeline(configuration: pipeline, embeddings: backends.embeddings, vectorStore: backends.vectorStore, chat: backends.chat)
}

/// An ingester filling `rag.defaultCollection` with the configuration's chunk and batch sizes.
public func buildIngester(configuration: RAGQueueConfiguration, backends: RAGBackends) -> DocumentIngester {
    var ingest = DocumentIngester.Configuration(collection: configuration.rag.defaultCollection)
    ingest.chunkSize = configuration.ingest.chunkSize
    ingest.chunkOverlap = configuration.ingest.chunkOverlap
    ingest.batchSize = configuration.ingest.batchSize
    return DocumentIngester(configuration: ingest, embeddings: backends.embeddings, vectorStore: backends.vectorStore)
}

/// Checks that Valkey answers `PING` within a couple of seconds; the error names `VALKEY_URL`.
public func checkValkey(configuration: RAGQueueConfiguration) async throws(ConfigurationError) {
    var valkey: ValkeyConfiguration
    do throws(ValkeyError) {
        valkey = try ValkeyConfiguration(url: configuration.valkeyURL)
    } catch {
        throw ConfigurationError(setting: "VALKEY_URL", error.message)
    }
    valkey.poolSize = 1
    valkey.reconnect.maximumWait = .seconds(2)
    valkey.commandTimeout = .seconds(2)
    let client = ValkeyClient(configuration: valkey)
    defer { client.close() }
    do throws(ValkeyError) {
        try await client.send("PING")
    } catch {
        throw ConfigurationError(setting: "VALKEY_URL", "cannot reach Valkey: \(error.message)")
    }
}

/// Builds everything `ragserve worker` runs, after checking the configuration and that Valkey answers.
///
/// Handlers: `rag.query`, plus the diagnostic `noop` and `sleep`. Streamed answers go to the
/// queue's token streams.
public func buildWorkerApplication(configuration: RAGQueueConfiguration, logger: Logger) async throws -> WorkerApplication {
    try configuration.validate()
    try await checkValkey(configuration: configuration)
    let valkey = try ValkeyClient(url: configuration.valkeyURL)
    let store: ValkeyJobStore
    do throws(QueueError) {
        store = try ValkeyJobStore(client: valkey, configuration: configuration.queue)
    } catch {
        valkey.close()
        throw ConfigurationError(setting: nil, error.message)
    }
    let httpClient: CurlHTTPClient
    do {
        httpClient = try buildHTTPClient(configuration: configuration, logger: logger)
    } catch {
        valkey.close()
        throw error
    }
    let backends = buildRAGBackends(configuration: configuration, httpClient: httpClient, logger: logger)
    if backends.usesLocalEmbeddings {
        logger.warning("OPENAI_API_KEY is not set: using local embeddings; chat calls go to OPENAI_BASE_URL without a key", metadata: [
            "embedding.model": .string(backends.embeddings.modelName)
        ])
    } else {
        logger.info("using OpenAI embeddings", metadata: ["embedding.model": .string(backends.embeddings.modelName)])
    }
    let handler = RAGQueryHandler(
        pipeline: buildPipeline(configuration: configuration, backends: backends),
        tokens: TokenStreamPublisher(store: store)
    )
    var workerConfiguration = Worker.Configuration()
    workerConfiguration.concurrency = configuration.worker.concurrency
    workerConfiguration.shutdownGrace = configuration.worker.shutdownGrace
    let worker = Worker(
        store: store, queue: configuration.queue, handlers: [handler, NoopJobHandler(), SleepJobHandler()],
        configuration: workerConfiguration, logger: logger
    )
    return WorkerApplication(configuration: configuration, valkey: valkey, store: store, backends: backends, worker: worker)
}
