import Foundation
import RAGQueue

extension Simulation {
    /// What `ragsim simulate` was asked to do: the scenario, where the services are, and what to
    /// write and compare at the end. Every value comes from the command line, already checked.
    public struct Options: Sendable {
        /// Worker process counts, one step each.
        var workers: WorkerCounts
        /// Jobs each worker process runs at once.
        var concurrency: Int
        /// Queries offered per second, open loop (a trace brings its own rate).
        var qps: Double
        /// How arrivals are spaced.
        var arrivals: ArrivalSchedule.Process
        /// Measured per step; nil: 20 s, or with a trace the rest of it after the warm-up.
        var duration: Duration?
        /// Traffic before measuring, per step.
        var warmup: Duration
        /// Most time to wait for measured jobs after the window.
        var drain: Duration
        /// A trace file (JSON lines) replayed instead of arrivals at `qps`.
        var tracePath: String?
        /// Backend latencies of the embedded fakes.
        var profile: BackendProfile
        /// Seed of the corpus, the questions, the arrivals and the fakes.
        var seed: UInt64
        /// Distinct questions drawn from the corpus.
        var questions: Int
        /// Collection the corpus is ingested into and queries search.
        var collection: String
        /// A running Valkey to use instead of a private one.
        var valkeyURL: String?
        /// A running API to submit to instead of `ragserve api` per step.
        var apiURL: String?
        /// The key for `apiURL`.
        var apiKey: String?
        /// The queue key prefix the `apiURL` API uses; nil: `ragq`.
        var prefix: String?
        /// An OpenAI-compatible API (with `/v1`) to use instead of the fake.
        var openAIURL: String?
        /// A Qdrant to use instead of the fake.
        var qdrantURL: String?
        /// Faults to inject: one step at the largest worker count, ending with a ledger.
        var chaos: ChaosPlan?
        /// The workers' job lease in a chaos run.
        var lease: Duration
        /// Where to write the report as JSON.
        var jsonPath: String?
        /// Where to write the SVG chart.
        var svgPath: String?
        /// Where to write the SVG timelines.
        var timelinePath: String?
        /// A report to compare with; the run fails when it fell more than `tolerance` below it.
        var baselinePath: String?
        /// Allowed drop against the baseline, in percent.
        var tolerance: Double
        /// Tenants sending the traffic, each with its key, weight, limits and arrivals.
        var tenants: [TenantSpec] = []
        /// The fake provider's per-minute limits of the chat model; nil: none.
        var providerLimits: ProviderLimitOption? = nil
        /// Whether the workers pace their model calls to the provider's limits.
        var pacing: Bool = true
        /// The embedded Valkey's shape.
        var valkeyTopology: ValkeyTopology = .single
        /// What an accepted job has survived before the API's 202.
        var durability: Durability = .none
        /// Whether each step draws its own arrivals instead of replaying the first step's.
        var drawPerStep = false
        /// How questions repeat and which answer caches are on.
        var repetition = Repetition()
        /// `ragsim plan`'s target; nil for a run over `workers`.
        var plan: PlanTarget? = nil

        /// Options with every value given.
        public init(
            workers: WorkerCounts, concurrency: Int, qps: Double, arrivals: ArrivalSchedule.Process, duration: Duration?,
            warmup: Duration, drain: Duration, tracePath: String?, profile: BackendProfile, seed: UInt64, questions: Int,
            collection: String, valkeyURL: String?, apiURL: String?, apiKey: String?, prefix: String?, openAIURL: String?,
            qdrantURL: String?, chaos: ChaosPlan?, lease: Duration, jsonPath: String?, svgPath: String?, timelinePath: String?,
            baselinePath: String?, tolerance: Double
        ) {
            self.workers = workers
            self.concurrency = concurrency
            self.qps = qps
            self.arrivals = arrivals
            self.duration = duration
            self.warmup = warmup
            self.drain = drain
            self.tracePath = tracePath
            self.profile = profile
            self.seed = seed
            self.questions = questions
            self.collection = collection
            self.valkeyURL = valkeyURL
            self.apiURL = apiURL
            self.apiKey = apiKey
            self.prefix = prefix
            self.openAIURL = openAIURL
            self.qdrantURL = qdrantURL
            self.chaos = chaos
            self.lease = lease
            self.jsonPath = jsonPath
            self.svgPath = svgPath
            self.timelinePath = timelinePath
            self.baselinePath = baselinePath
            self.tolerance = tolerance
        }

        /// These options with the embedded Valkey's `topology` and the queue's `durability`.
        public func with(valkey topology: ValkeyTopology, durability: Durability) -> Options {
            var options = self
            options.valkeyTopology = topology
            options.durability = durability
            return options
        }

        /// These options as `ragsim plan` runs them: steps chosen to meet `target`.
        public func with(plan target: PlanTarget) -> Options {
            var options = self
            options.plan = target
            return options
        }

        /// These options with questions repeating and answer caches on as `repetition` says.
        public func with(repetition: Repetition) -> Options {
            var options = self
            options.repetition = repetition
            return options
        }

        /// These options with each step drawing its own arrivals when `drawPerStep`.
        public func with(drawPerStep: Bool) -> Options {
            var options = self
            options.drawPerStep = drawPerStep
            return options
        }

        /// These options with `tenants`, the fake provider's chat limits and pacing on or off.
        public func with(tenants: [TenantSpec], providerLimits: ProviderLimitOption?, pacing: Bool) -> Options {
            var options = self
            options.tenants = tenants
            options.providerLimits = providerLimits
            options.pacing = pacing
            return options
        }
    }

    /// The fake provider's requests and tokens per minute for the chat model (`--provider-rpm`, `--provider-tpm`).
    public struct ProviderLimitOption: Sendable, Hashable {
        /// Requests per minute; nil: unlimited.
        public var requestsPerMinute: Int?
        /// Tokens per minute; nil: unlimited.
        public var tokensPerMinute: Int?

        /// Limits of `requestsPerMinute` and `tokensPerMinute`.
        public init(requestsPerMinute: Int?, tokensPerMinute: Int?) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
        }
    }
}

extension Simulation.Settings {
    /// The settings `options` call for, the trace read and the measured length fixed.
    init(options: Simulation.Options) throws(RunFailure) {
        let trace: QueryTrace?
        let duration: Duration
        do {
            trace = try options.tracePath.map(QueryTrace.read(from:))
            duration = try trace?.measuredLength(warmup: options.warmup, duration: options.duration) ?? options.duration ?? .seconds(20)
        } catch {
            throw RunFailure(error.description)
        }
        self.init(
            workers: options.workers, concurrency: options.concurrency, qps: trace?.rate ?? options.qps, arrivals: options.arrivals,
            warmup: options.warmup, duration: duration, drain: options.drain, profile: options.profile, seed: options.seed,
            collection: options.collection,
            endpoints: .init(
                valkeyURL: options.valkeyURL, apiURL: options.apiURL, openAIURL: options.openAIURL, qdrantURL: options.qdrantURL,
                valkeyTopology: options.valkeyTopology
            ),
            apiKey: options.apiKey, prefix: options.prefix, questions: options.questions, trace: trace, chaos: options.chaos,
            lease: options.lease, tenants: options.tenants, providerLimits: options.providerLimits, pacing: options.pacing,
            durability: options.durability, drawPerStep: options.drawPerStep, plan: options.plan,
            repetition: options.repetition
        )
        if let trace, !options.tenants.isEmpty {
            let names = Set(options.tenants.map(\.name))
            if let unknown = trace.entries.compactMap(\.tenant).first(where: { !names.contains($0) }) {
                throw RunFailure("--trace \(trace.source) names tenant \(unknown), which no --tenant declares")
            }
        }
    }
}
