import Foundation
import Prometheus
import RAGQueue
import Synchronization

/// The API's Prometheus metrics, from one place: names are constants here, labels are the route
/// template, method, status and small fixed sets; never ids or raw paths.
public final class APIMetrics: Sendable {
    /// Metric names, with their help texts.
    public enum Name {
        /// `ragqueue_api_request_duration_seconds`: histogram of the time to answer a request (to its
        /// headers: a stream's body is not in it) by `route`, `method`, `status`.
        public static var requestDuration: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_api_request_duration", unitName: "seconds", helpText: "Time to answer a request, to its headers, by route template, method and status.")
        }
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
        /// `ragqueue_queue_up`: 1 when this scrape read the queue's figures, 0 when Valkey did not
        /// answer (the queue and tenant figures are then NaN, never the last values seen).
        public static var queueUp: MetricNameDescriptor {
            MetricNameDescriptor(metricName: "ragqueue_queue_up", unitName: "", helpText: "1 when the queue figures were read on this scrape; 0 when Valkey did not answer (they are NaN).")
        }
        /// `ragqueue_queue_events_total`: the queue's lifetime counters by `event`, read on every scrape.
        public static let queueEvents = (name: "ragqueue_queue_events_total", help: "Queue lifetime counters by event, read from the queue.")
        /// `ragqueue_queue_failures_total`: jobs that failed for good, by `reason` (the failure's
        /// code), read on every scrape.
        public static let queueFailures = (name: "ragqueue_queue_failures_total", help: "Jobs that failed for good by reason, read from the queue.")
        /// `ragqueue_tenant_usage_total`: each tenant's usage by `counter` (tokens, vector searches,
        /// cost_micro_usd, ...) since the queue's counters began; read on every scrape.
        public static let tenantUsage = (name: "ragqueue_tenant_usage_total", help: "Each tenant's usage since the queue's counters began.")
        /// `ragqueue_tenant_cost_usd_total`: each tenant's model cost in US dollars since the counters began.
        public static let tenantCost = (name: "ragqueue_tenant_cost_usd_total", help: "Each tenant's model cost in US dollars since the queue's counters began.")
    }

    /// The media type of the Prometheus text exposition, as `/metrics` answers it.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

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
    /// The tenants whose gauges were read so far, to blank when the queue does not answer.
    private let tenantsSeen = Mutex<Set<String>>([])
    /// The counters read from the queue on the last scrape, by family: the queue keeps them, so
    /// they are written as counters from what was read (`ReadCounters`), absent when it did not answer.
    private let readCounters = Mutex<[String: ReadCounters]>([:])

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

    /// Buckets of the request duration histogram: most answers take a millisecond; a long-poll
    /// up to its 30 s wait.
    static let requestBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    /// Counts and times one request.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        // A client may send any token as a method: those outside the standard ones share one label.
        let method = Self.methods.contains(method) ? method : "other"
        let key = RequestSeries(route: route, method: method, status: status)
        let series = requestSeries.withLock { $0[key] } ?? {
            // Made once per route, method and status: the registry's look-up builds its key from
            // the labels and takes its lock on every call.
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let made = (
                registry.makeCounter(descriptor: Name.requests, labels: labels),
                registry.makeDurationHistogram(descriptor: Name.requestDuration, labels: labels, buckets: Self.requestBuckets)
            )
            requestSeries.withLock { $0[key] = made }
            return made
        }()
        series.0.increment()
        series.1.record(duration)
    }

    /// The labels of one request series.
    private struct RequestSeries: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// The methods with a label of their own.
    private static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// The request counter and histogram of each series seen so far (the labels are bounded: route
    /// templates or `unmatched`, the standard methods or `other`, statuses).
    private let requestSeries = Mutex<[RequestSeries: (Counter, DurationHistogram)]>([:])

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
        readCounters.withLock {
            $0[Name.queueEvents.name] = ReadCounters(Name.queueEvents, stats.counters.map { ([("event", $0.key)], Double($0.value)) })
            $0[Name.queueFailures.name] = ReadCounters(Name.queueFailures, stats.failures.map { ([("reason", $0.key)], Double($0.value)) })
        }
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
        for tenant in tenantsSeen.withLock({ $0 }) {
            for state in Self.tenantStates {
                registry.makeGauge(descriptor: Name.tenantJobs, labels: [("tenant", tenant), ("state", state)]).set(Double.nan)
            }
        }
        readCounters.withLock { $0 = [:] }
    }

    /// Sets the tenant gauges from a fresh snapshot (labels: the configured tenants' names).
    func update(from tenants: [TenantStats]) {
        for tenant in tenants {
            for (state, count) in zip(Self.tenantStates, [tenant.waiting, tenant.running]) {
                registry.makeGauge(descriptor: Name.tenantJobs, labels: [("tenant", tenant.tenant), ("state", state)]).set(Double(count))
            }
        }
        tenantsSeen.withLock { $0.formUnion(tenants.map(\.tenant)) }
        readCounters.withLock {
            $0[Name.tenantUsage.name] = ReadCounters(Name.tenantUsage, tenants.flatMap { tenant in
                tenant.usage.counters.map { ([("tenant", tenant.tenant), ("counter", $0.key)], Double($0.value)) }
            })
            $0[Name.tenantCost.name] = ReadCounters(Name.tenantCost, tenants.map {
                ([("tenant", $0.tenant)], Double($0.usage[JobUsage.costMicroUSD]) / 1_000_000)
            })
        }
    }

    /// The Prometheus text exposition of every metric.
    func render() -> String {
        registry.emitToString() + readCounters.withLock { families in families.keys.sorted().compactMap { families[$0]?.exposition }.joined() }
    }
}

/// A counter family whose values were read from the queue: written in the Prometheus text format
/// as a counter (the queue's counters only grow; should Valkey lose them, the drop reads as a
/// counter reset, which Prometheus's `rate()` handles).
struct ReadCounters: Sendable {
    let name: String
    let help: String
    let samples: [(labels: [(String, String)], value: Double)]

    init(_ family: (name: String, help: String), _ samples: [([(String, String)], Double)]) {
        self.name = family.name
        self.help = family.help
        self.samples = samples.map { (labels: $0.0, value: $0.1) }
    }

    /// `# HELP`, `# TYPE` and one line per sample, sorted.
    var exposition: String {
        guard !samples.isEmpty else { return "" }
        var lines = samples.map { sample in
            let labels = sample.labels.map { "\($0.0)=\"\(Self.escaped($0.1))\"" }.joined(separator: ",")
            let value = sample.value == sample.value.rounded() && abs(sample.value) < 1e15 ? String(Int64(sample.value)) : String(sample.value)
            return "\(name){\(labels)} \(value)"
        }
        lines.sort()
        return "# HELP \(name) \(help)\n# TYPE \(name) counter\n" + lines.joined(separator: "\n") + "\n"
    }

    /// A label value escaped as the text format wants: backslash, double quote and newline.
    private static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
