import Hummingbird
import Logging
import RAGQueue
import ServiceLifecycle

/// What `ragserve api` runs: the outbound HTTP client (webhooks) first, then the HTTP server;
/// SIGTERM drains in reverse.
public struct APIApplication: Sendable {
    /// The queue's store, on the configured Valkey.
    public let store: ValkeyJobStore
    /// The services in start order.
    public let services: [any Service]
    /// The API's settings in use, key file read.
    public let api: APIConfiguration

    /// Builds the API for `configuration` (Valkey, queue, query rules) and `api`. `onServerRunning`
    /// gets the bound port once the server accepts connections.
    public init(
        configuration: RAGQueueConfiguration, api: APIConfiguration, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws {
        let store = try ValkeyJobStore(url: configuration.valkeyURL, configuration: configuration.queue, serverWait: api.limits.valkeyWait, failFast: true)
        let httpClient: CurlHTTPClient
        let app: any Service
        do {
            httpClient = try CurlHTTPClient(logger: logger)
            app = try buildAPIApplication(
                store: store, rules: configuration.pipeline.rules, estimator: configuration.costEstimator, answerCache: configuration.answerCache,
                configuration: api,
                logger: logger, httpClient: httpClient,
                onServerRunning: onServerRunning
            )
        } catch {
            store.close()
            throw error
        }
        self.store = store
        self.api = api
        self.services = [httpClient, app]
    }

    /// Releases the store's connections; call after the services have stopped.
    public func close() {
        store.close()
    }
}
