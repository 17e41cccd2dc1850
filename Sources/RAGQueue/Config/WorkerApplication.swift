import ServiceLifecycle

/// What `ragserve worker` runs: the HTTP client first, then the worker (SIGTERM drains in reverse).
public struct WorkerApplication: Sendable {
    /// The configuration it was built from.
    public let configuration: RAGQueueConfiguration
    /// The queue's Valkey client; close it after the services stop.
    public let valkey: ValkeyClient
    /// The job store.
    public let store: ValkeyJobStore
    /// The pipeline's backends.
    public let backends: RAGBackends
    /// The worker service.
    public let worker: Worker

    /// The services in start order.
    public var services: [any Service] { [backends.httpClient, worker] }

    /// Releases the Valkey connections and the HTTP client; call after the services have stopped.
    public func close() async {
        valkey.close()
        await backends.httpClient.shutdown()
    }
}
