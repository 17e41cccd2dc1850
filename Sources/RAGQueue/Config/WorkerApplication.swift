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

    /// Builds everything `ragserve worker` runs, after checking the configuration and waiting for
    /// Valkey to answer (see `waitForValkey`). Handlers: `rag.query`, plus the diagnostic `noop` and
    /// `sleep`. What the worker and its pipeline measure goes to `metrics`.
    public init(configuration: RAGQueueConfiguration, metrics: WorkerMetrics = WorkerMetrics(), logger: Logger) async throws {
        try configuration.validate()
        try await Self.waitForValkey(url: configuration.valkeyURL, logger: logger)
        let store: ValkeyJobStore
        do throws(QueueError) {
            store = try ValkeyJobStore(url: configuration.valkeyURL, configuration: configuration.queue, serverWait: Worker.storeWait)
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
        let similar = configuration.answerCache.isEnabled && configuration.semanticCacheThreshold > 0
            ? SemanticAnswerIndex(store: store, threshold: configuration.semanticCacheThreshold) : nil
        let handlers: [any JobHandler] = [
            RAGQueryHandler(pipeline: backends.pipeline(configuration.pipeline, metrics: metrics), similarAnswers: similar), NoopJobHandler(), SleepJobHandler(),
        ]
        self.configuration = configuration
        self.store = store
        self.backends = backends
        var workerConfiguration = configuration.worker
        if configuration.workerJobsOnHTTPThread, workerConfiguration.taskExecutor == nil {
            workerConfiguration.taskExecutor = backends.httpClient.taskExecutor
        }
        self.worker = Worker(store: store, queue: configuration.queue, handlers: handlers, configuration: workerConfiguration, metrics: metrics, logger: logger)
    }

    /// Returns once Valkey at `url` answers. A worker started before its Valkey (a deployment's
    /// processes come up in any order, a Valkey restarts) waits, retrying with backoff from 250 ms
    /// to 5 s and saying so in the log, instead of exiting; SIGTERM ends the wait. A malformed URL
    /// is an error at once.
    static func waitForValkey(url: String, logger: Logger) async throws {
        var wait = Duration.milliseconds(250)
        var attempts = 0
        while true {
            do throws(QueueError) {
                try await ValkeyJobStore.checkReachable(url: url)
                if attempts > 0 { logger.notice("Valkey answers; starting", metadata: ["attempts": "\(attempts + 1)"]) }
                return
            } catch where error.codeName == "invalid_configuration" {
                throw ConfigurationError(setting: "VALKEY_URL", error.message)
            } catch {
                attempts += 1
                if attempts == 1 || attempts % 12 == 0 {
                    logger.warning("waiting for Valkey", metadata: ["error": "\(error.message)", "attempts": "\(attempts)"])
                }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }

    /// The services in start order.
    public var services: [any Service] { [backends.httpClient, worker] }

    /// Settles provider pacing, then releases the store's connections and the HTTP client; call
    /// after the services have stopped.
    public func close() async {
        await backends.settlePacing()
        store.close()
        await backends.httpClient.shutdown()
    }
}
