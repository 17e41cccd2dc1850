import CoreMetrics

/// What workers and the pipeline measure, through swift-metrics: the process chooses the backend
/// (`ragserve worker` bootstraps Prometheus and serves it on `--metrics-port`). Names follow
/// Prometheus's conventions, the backend the product ships: base units, `_seconds`, `_total`.
///
/// Labels are small fixed sets (outcome, stage, token kind, failure code), never ids or tenants.
public struct WorkerMetrics: Sendable {
    /// The metric names.
    public enum Name {
        /// Histogram: submit to end of the jobs this process ended, by `outcome`
        /// (`succeeded`, `failed`, `canceled`).
        public static let jobDuration = "ragqueue_job_duration_seconds"
        /// Histogram: time each claimed attempt waited in the queue (entered the waiting list to claim).
        public static let queueWait = "ragqueue_job_queue_wait_seconds"
        /// Histogram: time in each pipeline stage (`embed`, `search`, `chat`, ...), per attempt.
        public static let stageDuration = "ragqueue_stage_duration_seconds"
        /// Counter: claim calls that took at least one job (`ragqueue_job_queue_wait_seconds_count`
        /// over it is the jobs a claim takes, which `WORKER_CLAIM_LINGER_MS` raises).
        public static let claims = "ragqueue_worker_claims_total"
        /// Counter: model tokens used, by `kind` (`embedding`, `prompt`, `completion`).
        public static let tokens = "ragqueue_tokens_total"
        /// Counter: failed attempts by `reason` (the failure's code) and `outcome` (`retried`,
        /// `failed`: no attempt left or not worth one).
        public static let attemptFailures = "ragqueue_job_attempt_failures_total"
        /// Counter: answers 429 from a provider, by pipeline `stage`, whether waited out or not.
        public static let throttled = "ragqueue_provider_throttled_total"
    }

    /// Buckets for the duration histograms, in seconds: RAG answers take from milliseconds (a
    /// cached answer) to a minute (a long completion behind a queue).
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    private let factory: any MetricsFactory

    /// Metrics made by `factory`; by default the process's bootstrapped one (a no-op until a
    /// backend is bootstrapped).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// Records a claimed attempt's wait in the queue.
    func claimed(_ job: ClaimedJob) {
        Timer(label: Name.queueWait, factory: factory).recordMilliseconds(job.queueWaitMilliseconds)
    }

    /// Counts a claim call that took jobs.
    func claimedBatch() {
        Counter(label: Name.claims, factory: factory).increment()
    }

    /// Records the end of a job by this process, `milliseconds` after it was submitted.
    func ended(outcome: String, milliseconds: Int64) {
        Timer(label: Name.jobDuration, dimensions: [("outcome", outcome)], factory: factory).recordMilliseconds(milliseconds)
    }

    /// Records a failed attempt: `final` when the job ends with it.
    func attemptFailed(code: String, final: Bool) {
        Counter(label: Name.attemptFailures, dimensions: [("reason", code), ("outcome", final ? "failed" : "retried")], factory: factory).increment()
    }

    /// Records an attempt's stage times and tokens.
    func used(stages: [String: Double], usage: JobUsage) {
        for (stage, seconds) in stages {
            Timer(label: Name.stageDuration, dimensions: [("stage", stage)], factory: factory)
                .recordNanoseconds(Int64((seconds * 1e9).rounded()))
        }
        for (kind, counter) in [("embedding", JobUsage.embeddingTokens), ("prompt", JobUsage.promptTokens), ("completion", JobUsage.completionTokens)] {
            let tokens = usage[counter]
            if tokens > 0 { Counter(label: Name.tokens, dimensions: [("kind", kind)], factory: factory).increment(by: tokens) }
        }
    }

    /// Records a 429 from a provider during `stage`.
    public func throttled(stage: String) {
        Counter(label: Name.throttled, dimensions: [("stage", stage)], factory: factory).increment()
    }
}
