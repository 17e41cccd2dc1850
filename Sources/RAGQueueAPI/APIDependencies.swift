import Logging
import RAGQueue

/// What the API's routes work with, passed explicitly so tests build the API around a store of
/// their own (`InMemoryJobStore` for handler tests, a `ValkeyJobStore` for integration tests).
public struct APIDependencies: Sendable {
    /// Everything the queue keeps: jobs, events, token streams, webhook outbox, rate-limit buckets.
    public var store: any QueueStore
    /// What a query may ask, and its defaults: the same rules the workers apply.
    public var rules: QueryRules
    /// What a query will likely cost: reserved against its tenant's budget at submit.
    public var estimator: CostEstimator
    /// When a stored answer answers a query again.
    public var answerCache: AnswerCachePolicy
    /// The API's behaviour.
    public var configuration: APIConfiguration
    /// Metrics rendered by `/metrics`.
    public var metrics: APIMetrics
    /// Delivers results to callback URLs; nil refuses `callback_url`.
    public var webhooks: WebhookDispatcher?
    /// Notices when the store lost its data (`/readyz`, `/metrics`).
    public let dataLoss: StoreDataLossWatch
    /// The event streams and long-polls each caller holds open.
    public let openWaits: OpenWaits
    /// The dashboard's charts, fed by the queue's end events from the start of this process.
    let series: DashboardSeries
    /// Keep-alives and time limits of the open event streams.
    public let streamTimers = StreamTimers(keepAlive: QueryEventStream.keepAliveInterval)

    /// Dependencies from their parts.
    public init(
        store: any QueueStore, rules: QueryRules, estimator: CostEstimator = CostEstimator(), answerCache: AnswerCachePolicy = AnswerCachePolicy(),
        configuration: APIConfiguration, metrics: APIMetrics, webhooks: WebhookDispatcher?
    ) {
        self.answerCache = answerCache
        self.store = store
        self.rules = rules
        self.estimator = estimator
        self.configuration = configuration
        self.metrics = metrics
        self.webhooks = webhooks
        self.dataLoss = StoreDataLossWatch(store: store)
        self.openWaits = OpenWaits(limit: configuration.limits.maxOpenWaitsPerCaller)
        self.series = DashboardSeries(observing: store)
    }

    /// A slot of `context`'s caller for an event stream or a long-poll, or 429 when it holds its limit.
    func openWait(_ context: APIRequestContext) throws -> OpenWaits.Slot {
        guard let slot = openWaits.acquire(context.waitCaller) else {
            throw APIError.tooManyOpenWaits(limit: openWaits.limit)
        }
        return slot
    }

    /// The `rag.query` job named by `text`, when it exists and belongs to the caller's tenant (any
    /// tenant's, for an operator); any other id (malformed, unknown, expired, another tenant's) is 404.
    /// Whether the caller sees and acts on every tenant's queries: an operator, or anyone when the
    /// API has no keys at all (as it is then open).
    func seesAll(_ context: APIRequestContext) -> Bool {
        context.isAdmin || (configuration.apiKeys.isEmpty && configuration.adminKeys.isEmpty)
    }

    func query(_ text: String?, context: APIRequestContext) async throws -> JobRecord {
        guard let text, let id = JobID(text) else { throw APIError.notFound() }
        guard let record = try await store.job(id), record.kind == RAGQuery.kind, context.isAdmin || record.tenant == context.tenant else {
            throw APIError.notFound()
        }
        return try await presented(record)
    }

    /// `record` as its submitter sees it: a query that follows the same question in flight
    /// (`coalesced_with`) reads `started`, with its leader's start time, while the leader runs;
    /// any other record as stored.
    func presented(_ record: JobRecord) async throws(QueueError) -> JobRecord {
        guard let leader = record.coalescedWith, !record.status.isTerminal,
              let leading = try await store.job(leader), leading.status == .started
        else { return record }
        var shown = record
        shown.status = .started
        shown.startedAt = leading.startedAt
        return shown
    }
}
