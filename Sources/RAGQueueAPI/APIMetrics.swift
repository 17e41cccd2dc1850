import Prometheus
import RAGQueue
import Synchronization

/// The API's Prometheus metrics, from one place: names are constants here, labels are the route
/// template, method, status and small fixed sets; never ids or raw paths.
public final class APIMetrics: Sendable {
    /// Metric names, with their help texts.
    public enum Name {
        /// `ragqueue_api_requests_total`: requests by `route`, `method`, `status`.
        public static var requests: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_requests", unitName: "total", helpText: "HTTP requests by route template, method and status.")
        }
        /// `ragqueue_api_jobs_enqueued_total`: jobs the API enqueued (idempotent replays not counted).
        public static var jobsEnqueued: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_jobs_enqueued", unitName: "total", helpText: "Jobs enqueued through the API.")
        }
        /// `ragqueue_valkey_data_lost`: 1 once the queue's Valkey was seen to have lost its data.
        public static var dataLost: MetricNameDescriptor {
            MetricNameDescriptor(
                metricName: "ragqueue_valkey_data_lost", unitName: "",
                helpText: "1 when the queue's Valkey lost its data (restarted without appendonly, or flushed) since this process started."
            )
        }
        /// `ragqueue_api_auth_failures_total`: requests refused for a missing or unknown key.
        public static var authFailures: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_auth_failures", unitName: "total", helpText: "Requests without a valid API key.")
        }
        /// `ragqueue_api_rate_limited_total`: requests refused by the rate limit.
        public static var rateLimited: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_rate_limited", unitName: "total", helpText: "Requests refused by the per-key rate limit.")
        }
        /// `ragqueue_api_webhook_deliveries_total`: deliveries by `outcome` (`delivered`, `retried`, `abandoned`).
        public static var webhooks: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_webhook_deliveries", unitName: "total", helpText: "Webhook delivery attempts by outcome.")
        }
        /// `ragqueue_queue_jobs`: jobs by `state`, read on every scrape.
        public static var queueJobs: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_queue_jobs", unitName: "", helpText: "Jobs in the queue by state.")
        }
        /// `ragqueue_queue_oldest_waiting_seconds`: age of the oldest waiting job, read on every scrape.
        public static var oldestWaiting: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_queue_oldest_waiting", unitName: "seconds", helpText: "Age of the oldest waiting job in seconds.")
        }
        /// `ragqueue_queue_live_workers`: workers with a current heartbeat, read on every scrape.
        public static var liveWorkers: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_queue_live_workers", unitName: "", helpText: "Workers with a current heartbeat.")
        }
        /// `ragqueue_api_budget_refusals_total`: submits refused because the tenant's budget is spent.
        public static var budgetRefusals: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_budget_refusals", unitName: "total", helpText: "Submits refused by a tenant's budget.")
        }
        /// `ragqueue_tenant_jobs`: each tenant's jobs by `state` (`waiting`, `running`), read on every scrape.
        public static var tenantJobs: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_tenant_jobs", unitName: "", helpText: "Each tenant's jobs waiting and running.")
        }
        /// `ragqueue_tenant_usage`: each tenant's usage counters by `counter` (tokens, vector searches,
        /// cost_micro_usd), since the queue's counters began; read on every scrape.
        public static var tenantUsage: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_tenant_usage", unitName: "", helpText: "Each tenant's usage since the queue's counters began.")
        }
        /// `ragqueue_tenant_cost_usd`: each tenant's model cost in US dollars since the counters began.
        public static var tenantCost: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_tenant_cost", unitName: "usd", helpText: "Each tenant's model cost in US dollars since the counters began.")
        }
        /// `ragqueue_queue_up`: 1 when this scrape read the queue's figures, 0 when Valkey did not
        /// answer (the queue and tenant figures are then NaN, never the last values seen).
        public static var queueUp: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_queue_up", unitName: "", helpText: "1 when the queue figures were read on this scrape; 0 when Valkey did not answer (they are NaN).")
        }
        /// `ragqueue_queue_events`: the queue's lifetime counters by `event`, read on every scrape.
        public static var queueEvents: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_queue_events", unitName: "", helpText: "Queue lifetime counters by event.")
        }
    }

    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// See `Name.jobsEnqueued`.
    let jobsEnqueued: Counter
    /// See `Name.authFailures`.
    let authFailures: Counter
    /// See `Name.rateLimited`.
    let rateLimited: Counter
    /// See `Name.budgetRefusals`.
    let budgetRefusals: Counter
    /// See `Name.dataLost`.
    private let dataLost: Gauge
    /// See `Name.queueUp`.
    private let queueUp: Gauge
    /// The label sets of the figures read from the queue so far, to blank when it does not answer.
    private let queueLabels = Mutex<(events: Set<String>, tenants: Set<String>, usage: Set<String>)>(([], [], []))

    /// Metrics in `registry` (a fresh one by default, so tests do not share counts).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        jobsEnqueued = registry.makeCounter(descriptor: Name.jobsEnqueued)
        authFailures = registry.makeCounter(descriptor: Name.authFailures)
        rateLimited = registry.makeCounter(descriptor: Name.rateLimited)
        budgetRefusals = registry.makeCounter(descriptor: Name.budgetRefusals)
        dataLost = registry.makeGauge(descriptor: Name.dataLost)
        queueUp = registry.makeGauge(descriptor: Name.queueUp)
    }

    /// Counts one request.
    func recordRequest(route: String, method: String, status: Int) {
        registry.makeCounter(descriptor: Name.requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
    }

    /// Sets `ragqueue_valkey_data_lost`.
    func record(dataLost lost: Bool) {
        dataLost.set(lost ? 1.0 : 0.0)
    }

    /// Counts one webhook delivery outcome.
    func recordWebhook(outcome: String) {
        registry.makeCounter(descriptor: Name.webhooks, labels: [("outcome", outcome)]).increment()
    }

    /// Sets the queue gauges from a fresh snapshot.
    /// The `state` labels of `ragqueue_queue_jobs` and of `ragqueue_tenant_jobs`.
    private static let queueStates = ["waiting", "active", "scheduled", "failed"]
    private static let tenantStates = ["waiting", "running"]

    func update(from stats: QueueStats) {
        for (state, count) in zip(Self.queueStates, [stats.waiting, stats.active, stats.scheduled, stats.failed]) {
            registry.makeGauge(descriptor: Name.queueJobs, labels: [("state", state)]).set(Double(count))
        }
        registry.makeGauge(descriptor: Name.oldestWaiting).set(stats.oldestWaitingSeconds)
        registry.makeGauge(descriptor: Name.liveWorkers).set(Double(stats.liveWorkers))
        for (event, count) in stats.counters {
            registry.makeGauge(descriptor: Name.queueEvents, labels: [("event", event)]).set(Double(count))
        }
        queueLabels.withLock { $0.events.formUnion(stats.counters.keys) }
        queueUp.set(1.0)
    }

    /// Marks the queue's figures unavailable: `ragqueue_queue_up` 0 and every queue and tenant
    /// figure NaN, so no dashboard shows a stale value as current.
    func markQueueUnavailable() {
        queueUp.set(0.0)
        for state in Self.queueStates {
            registry.makeGauge(descriptor: Name.queueJobs, labels: [("state", state)]).set(Double.nan)
        }
        registry.makeGauge(descriptor: Name.oldestWaiting).set(Double.nan)
        registry.makeGauge(descriptor: Name.liveWorkers).set(Double.nan)
        let labels = queueLabels.withLock { $0 }
        for event in labels.events {
            registry.makeGauge(descriptor: Name.queueEvents, labels: [("event", event)]).set(Double.nan)
        }
        for tenant in labels.tenants {
            for state in Self.tenantStates {
                registry.makeGauge(descriptor: Name.tenantJobs, labels: [("tenant", tenant), ("state", state)]).set(Double.nan)
            }
            for counter in labels.usage {
                registry.makeGauge(descriptor: Name.tenantUsage, labels: [("tenant", tenant), ("counter", counter)]).set(Double.nan)
            }
            registry.makeGauge(descriptor: Name.tenantCost, labels: [("tenant", tenant)]).set(Double.nan)
        }
    }

    /// Sets the tenant gauges from a fresh snapshot (labels: the configured tenants' names).
    func update(from tenants: [TenantStats]) {
        for tenant in tenants {
            for (state, count) in zip(Self.tenantStates, [tenant.waiting, tenant.running]) {
                registry.makeGauge(descriptor: Name.tenantJobs, labels: [("tenant", tenant.tenant), ("state", state)]).set(Double(count))
            }
            for (counter, value) in tenant.usage.counters {
                registry.makeGauge(descriptor: Name.tenantUsage, labels: [("tenant", tenant.tenant), ("counter", counter)]).set(Double(value))
            }
            registry.makeGauge(descriptor: Name.tenantCost, labels: [("tenant", tenant.tenant)])
                .set(Double(tenant.usage[JobUsage.costMicroUSD]) / 1_000_000)
            queueLabels.withLock {
                $0.tenants.insert(tenant.tenant)
                $0.usage.formUnion(tenant.usage.counters.keys)
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    func render() -> String {
        registry.emitToString()
    }
}
