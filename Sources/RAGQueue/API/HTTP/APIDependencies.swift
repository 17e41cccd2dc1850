import Logging
import RAGQueue

/// What the API's routes work with, passed explicitly so tests build the API around their own
/// Valkey, store and events.
public struct APIDependencies: Sendable {
    /// The job queue.
    public var store: any JobStore
    /// Status changes of jobs (already started by the caller).
    public var events: JobEvents
    /// The Valkey client: rate limit, token streams, readiness.
    public var valkey: ValkeyClient
    /// The queue's key names (token streams, rate-limit buckets, pending webhooks).
    public var keys: QueueKeys
    /// The API's behaviour.
    public var configuration: APIConfiguration
    /// Metrics rendered by `/metrics`.
    public var metrics: APIMetrics
    /// Delivers results to callback URLs; nil refuses `callback_url`.
    public var webhooks: WebhookDispatcher?

    /// Dependencies from their parts.
    public init(store: any JobStore, events: JobEvents, valkey: ValkeyClient, keys: QueueKeys, configuration: APIConfiguration, metrics: APIMetrics, webhooks: WebhookDispatcher?) {
        self.store = store
        self.events = events
        self.valkey = valkey
        self.keys = keys
        self.configuration = configuration
        self.metrics = metrics
        self.webhooks = webhooks
    }

    /// The `rag.query` job named by `text`, when it exists and belongs to the caller's tenant;
    /// any other id (malformed, unknown, expired, another tenant's) is 404.
    func query(_ text: String?, context: APIRequestContext) async throws -> JobRecord {
        guard let text, let id = JobID(text) else { throw APIError.notFound() }
        guard let record = try await store.job(id), record.kind == RAGQuery.kind, record.tenant == context.tenant else {
            throw APIError.notFound()
        }
        return record
    }
}
