import Logging
import ServiceLifecycle

/// What `ragserve worker` runs: the HTTP client first, then the worker (SIGTERM drains in reverse).
public struct WorkerApplication: Sendable {
    /// The configuration it was built from.
    public let configuration: RAGQueueConfiguration
    /// The job store.
    public let store: ValkeyJobStore
    /// The pipeline's backends.
    public let backends: RAGBackends
    /// The worker service.
    public let worker: Worker

    /// Builds everything `ragserve worker` runs, after checking the configuration and that Valkey
    /// answers. Handlers: `rag.query`, plus the diagnostic `noop` and `sleep`.
    public init(configuration: RAGQueueConfiguration, logger: Logger) async throws {
        try configuration.validate()
        do throws(QueueError) {
            try await ValkeyJobStore.checkReachable(url: configuration.valkeyURL)
        } catch {
            throw ConfigurationError(setting: "VALKEY_URL", "cannot reach Valkey: \(error.message)")
        }
        let store: ValkeyJobStore
        do throws(QueueError) {
            store = try ValkeyJobStore(url: configuration.valkeyURL, configuration: configuration.queue)
        } catch {
            throw ConfigurationError(setting: nil, error.message)
        }
        let backends: RAGBackends
        do {
            backends = try RAGBackends(configuration: configuration, logger: logger, pacing: store)
        } catch {
            store.close()
            throw error
        }
        if backends.usesLocalEmbeddings {
            logger.warning("OPENAI_API_KEY is not set: using local embeddings; chat calls go to OPENAI_BASE_URL without a key", metadata: [
                "embedding.model": .string(backends.embeddings.modelName)
            ])
        } else {
            logger.info("using OpenAI embeddings", metadata: ["embedding.model": .string(backends.embeddings.modelName)])
        }
        let handlers: [any JobHandler] = [RAGQueryHandler(pipeline: backends.pipeline(configuration.pipeline)), NoopJobHandler(), SleepJobHandler()]
        self.configuration = configuration
        self.store = store
        self.backends = backends
        self.worker = Worker(store: store, queue: configuration.queue, handlers: handlers, configuration: configuration.worker, logger: logger)
    }

    /// The services in start order.
    public var services: [any Service] { [backends.httpClient, worker] }

    /// Releases the store's connections and the HTTP client; call after the services have stopped.
    public func close() async {
        store.close()
        await backends.httpClient.shutdown()
    }
}
