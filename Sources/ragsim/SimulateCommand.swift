import ArgumentParser
import Foundation
import RAGQueue
import RAGSimulator

/// `ragsim` (the default) or `ragsim simulate`: open-loop RAG query traffic against the real API and
/// worker processes, one step per worker count, and a table of throughput and latency.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Show how throughput and latency grow with the number of workers (the default command).",
        discussion: """
            Unless pointed elsewhere, starts everything itself: a private valkey-server, the fake OpenAI and \
            Qdrant servers (seeded, with the --profile's latencies), a seeded corpus ingested into them, and per \
            step a fresh `ragserve api` and N `ragserve worker` processes on a queue of their own. Queries arrive \
            open-loop at --qps; figures come from the job records' timestamps. Everything started is stopped at \
            the end, on error and on Ctrl-C.
            """
    )

    @Option(help: "Worker process counts, one step each: N, A...B, A..<B or A,B,C (default 1...4; for plan, the counts to confirm).")
    var workers: String?
    @Option(help: "Jobs each worker process runs at once.")
    var concurrency = 8
    @Option(help: "Queries offered per second (open loop).")
    var qps = 20.0
    @Option(help: "Arrival process: poisson or constant.")
    var arrivals = "poisson"
    @Option(help: "Seconds measured per step (default 20; with --trace, the rest of the trace after --warmup).")
    var duration: Double?
    @Option(help: "Seconds of traffic before measuring, per step.")
    var warmup = 3.0
    @Option(help: "Most seconds to wait for measured jobs after the window; later ones count as unfinished.")
    var drain = 15.0
    @Option(help: "Replay this trace instead of --qps and --arrivals: JSON lines of offset, question and optional collection, top_k, stream, tenant, priority, cache.")
    var trace: String?
    @Option(help: "Backend latencies of the embedded fakes: \(BackendProfile.allCases.map(\.rawValue).joined(separator: " or ")).")
    var profile = BackendProfile.openaiTypical.rawValue
    @Option(help: "Seed of the corpus, the questions, the arrivals and the fakes.")
    var seed: UInt64 = 1
    @Option(help: "Distinct questions drawn from the corpus.")
    var questions = 64
    @Option(help: "Collection the corpus is ingested into and queries search.")
    var collection = "ragsim-corpus"
    @Option(help: "Use this Valkey instead of starting a private one.")
    var valkeyURL: String?
    @Option(help: "Submit to this running API instead of starting `ragserve api` per step (it must use the workers' Valkey).")
    var apiURL: String?
    @Option(help: "API key for --api-url.")
    var apiKey: String?
    @Option(help: "Queue key prefix the --api-url API uses (default ragq); steps then share its queue.")
    var prefix: String?
    @Option(help: "Use this OpenAI-compatible API (with /v1; key from OPENAI_API_KEY) instead of the fake.")
    var openaiURL: String?
    @Option(help: "Use this Qdrant instead of the fake.")
    var qdrantURL: String?
    @Option(help: "Write every figure and the scenario to this JSON file.")
    var json: String?
    @Option(help: "Write a chart of throughput and p95 latency against worker count to this SVG file.")
    var svg: String?
    @Option(help: "Write each step second by second (completed/s, failed/s, in flight, waiting, p95; a chaos run's faults) to this SVG file.")
    var timeline: String?
    @Option(help: "Compare with this --json report; exit 1 when throughput or efficiency fell beyond --tolerance.")
    var baseline: String?
    @Option(help: "Allowed drop against --baseline, in percent.")
    var tolerance = 15.0
    @Option(help: ArgumentHelp(
        "Inject faults while traffic flows and end with a ledger of every accepted query: a preset (standard, full) or items "
            + "kill-worker=EVERY, stop-worker=AT[:LENGTH], restart-valkey=AT[:DOWN], valkey-down=AT[:LENGTH], "
            + "failover-valkey=AT (with --valkey sentinel), restart-api=AT[:DOWN], backend-faults=EVERY[:LENGTH] "
            + "(seconds from the start of traffic). Runs one step at the largest --workers count; exits 1 if a job was lost, "
            + "duplicated or left open, or a killed worker's jobs did not run again within 2 x the heartbeat.",
        valueName: "plan"
    ))
    var chaos: String?
    @Option(help: "The workers' job lease in seconds in a --chaos run (JOB_LEASE_SECONDS).")
    var lease = 15.0
    @Option(help: ArgumentHelp(
        "A tenant of the traffic, repeatable: NAME[:weight=W][:qps=R][:burst=N][:priority=P][:concurrency=C][:budget=AMOUNTusd/day]. "
            + "Each has its own API key; qps=R offers R queries a second (default: an even share of --qps), burst=N submits N at once "
            + "when traffic starts. The report adds figures per tenant and Jain's fairness index.",
        valueName: "tenant"
    ))
    var tenant: [String] = []
    @Option(help: "Requests per minute the fake provider allows the chat model (429 beyond, with Retry-After).")
    var providerRpm: Int?
    @Option(help: "Tokens per minute the fake provider allows the chat model.")
    var providerTpm: Int?
    @Option(help: "Whether the workers pace their model calls to the provider's limits: on or off.")
    var pacing = "on"
    @Option(help: "The private Valkey's shape: single, sentinel (a primary, 2 replicas and 3 sentinels, found through them) or cluster (3 primaries).")
    var valkey = "single"
    @Option(help: "What an accepted query has survived before the API's 202 (RAGQ_DURABILITY): none, local or replica.")
    var durability = "none"
    @Flag(help: "Draw each step's arrivals and questions apart; by default every step replays the same ones, so steps differ by their workers alone.")
    var arrivalsPerStep = false
    @Option(help: "Ask the --questions by popularity, the k-th in proportion to 1/k^S (Zipf; 1.1 is typical); 0 asks them in turn.")
    var zipf = 0.0
    @Option(help: "Turn the API's answer cache on for this many seconds (RAGQ_ANSWER_CACHE_TTL_SECONDS); 0 keeps it off.")
    var answerCache = 0.0
    @Option(help: "Send this share (0 to 1) of the questions reworded, so only the semantic cache can answer them from another's answer.")
    var paraphrase = 0.0
    @Option(help: "With --answer-cache: the semantic cache's similarity threshold (RAGQ_SEMANTIC_CACHE_THRESHOLD); 0 keeps it off.")
    var semanticCache = 0.0

    func validate() throws {
        _ = try workerCounts()
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 10000") }
        guard qps > 0, qps <= 10_000, qps.isFinite else { throw ValidationError("--qps must be above 0 and at most 10000") }
        guard ArrivalSchedule.Process(rawValue: arrivals) != nil else { throw ValidationError("--arrivals must be poisson or constant") }
        guard BackendProfile(rawValue: profile) != nil else {
            throw ValidationError("--profile must be \(BackendProfile.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        if let duration, !(1...86_400).contains(duration) { throw ValidationError("--duration must be 1 to 86400 seconds") }
        guard warmup >= 0, warmup <= 3600, drain >= 0, drain <= 3600 else { throw ValidationError("--warmup and --drain must be 0 to 3600 seconds") }
        guard (1...10_000).contains(questions) else { throw ValidationError("--questions must be from 1 to 10000") }
        guard (0...10).contains(zipf) else { throw ValidationError("--zipf must be from 0 to 10") }
        guard (0...86_400).contains(answerCache) else { throw ValidationError("--answer-cache must be 0 to 86400 seconds") }
        guard (0...1).contains(paraphrase) else { throw ValidationError("--paraphrase must be from 0 to 1") }
        guard (0...1).contains(semanticCache) else { throw ValidationError("--semantic-cache must be from 0 to 1") }
        if semanticCache > 0 && answerCache == 0 { throw ValidationError("--semantic-cache needs --answer-cache (the semantic cache reuses cached answers)") }
        guard (0...100).contains(tolerance) else { throw ValidationError("--tolerance must be 0 to 100 (percent)") }
        for (flag, value) in [("--api-url", apiURL), ("--openai-url", openaiURL), ("--qdrant-url", qdrantURL)] {
            if let value, !(value.hasPrefix("http://") || value.hasPrefix("https://")) {
                throw ValidationError("\(flag) must be an http:// or https:// URL, got '\(value)'")
            }
        }
        if let valkeyURL, !["valkey://", "redis://", "valkeys://", "rediss://", "valkey-sentinel://", "valkey-cluster://"].contains(where: valkeyURL.hasPrefix) {
            throw ValidationError("--valkey-url must be a valkey://, rediss://, valkey-sentinel:// or valkey-cluster:// URL, got '\(valkeyURL)'")
        }
        if apiURL != nil, valkeyURL == nil {
            throw ValidationError("--api-url needs --valkey-url: the workers and the records must be on the API's Valkey")
        }
        if prefix != nil, apiURL == nil {
            throw ValidationError("--prefix only applies with --api-url: embedded runs use a fresh prefix per step")
        }
        for case let (flag, path?) in [("--json", json), ("--svg", svg), ("--timeline", timeline)] {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: folder) else { throw ValidationError("\(flag) \(path): cannot write in \(folder)") }
        }
        if let baseline, !FileManager.default.isReadableFile(atPath: baseline) {
            throw ValidationError("--baseline \(baseline): no such readable file")
        }
        guard lease >= 0.5, lease <= 3600 else { throw ValidationError("--lease must be 0.5 to 3600 seconds") }
        let tenants = try tenantSpecs()
        if Set(tenants.map(\.name)).count != tenants.count { throw ValidationError("--tenant: each name once") }
        if !tenants.isEmpty, apiURL != nil { throw ValidationError("--tenant needs the embedded API (no --api-url): it sets the tenants' keys") }
        for case let (flag, value?) in [("--provider-rpm", providerRpm), ("--provider-tpm", providerTpm)] where !(1...100_000_000).contains(value) {
            throw ValidationError("\(flag) must be from 1 to 100000000")
        }
        if providerRpm != nil || providerTpm != nil, openaiURL != nil {
            throw ValidationError("--provider-rpm and --provider-tpm limit the embedded fake; they do not apply with --openai-url")
        }
        guard pacing == "on" || pacing == "off" else { throw ValidationError("--pacing must be on or off") }
        let topology = try valkeyTopology()
        if topology != .single, valkeyURL != nil { throw ValidationError("--valkey \(valkey) starts its own Valkey; it does not take --valkey-url") }
        guard let durability = Durability(rawValue: durability) else { throw ValidationError("--durability must be none, local or replica") }
        if durability == .replica, topology != .sentinel, valkeyURL == nil {
            throw ValidationError("--durability replica needs replicas: add --valkey sentinel (or a --valkey-url with replicas)")
        }
        if let plan = try chaosPlan() {
            if trace != nil { throw ValidationError("--chaos runs on generated arrivals (--qps); it does not take --trace") }
            let outside = plan.outside(.milliseconds(Int64((warmup + (duration ?? 20)) * 1000)))
            if !outside.isEmpty {
                throw ValidationError("--chaos: \(outside.joined(separator: ", ")) would strike after the traffic ends; lengthen --duration")
            }
            if plan.restartsValkey, valkeyURL != nil || topology != .single {
                throw ValidationError("--chaos restart-valkey and valkey-down need the embedded single Valkey (no --valkey-url, --valkey single)")
            }
            if plan.failsOverValkey, topology != .sentinel { throw ValidationError("--chaos failover-valkey needs --valkey sentinel") }
            if plan.restartsAPI, apiURL != nil { throw ValidationError("--chaos restart-api needs the embedded API (no --api-url)") }
            if plan.injectsBackendFaults, openaiURL != nil || qdrantURL != nil {
                throw ValidationError("--chaos backend-faults needs the embedded fakes (no --openai-url or --qdrant-url)")
            }
            if baseline != nil { throw ValidationError("--baseline does not apply to a --chaos run") }
        }
    }

    func run() async throws {
        let options = try options()
        try await CommandSupport.reportingFailures { try await Simulation.run(options) }
    }

    /// The simulation's options from the command line.
    func options() throws -> Simulation.Options {
        Simulation.Options(
            workers: try workerCounts(), concurrency: concurrency, qps: qps, arrivals: ArrivalSchedule.Process(rawValue: arrivals) ?? .poisson,
            duration: duration.map(CommandSupport.duration(seconds:)), warmup: CommandSupport.duration(seconds: warmup),
            drain: CommandSupport.duration(seconds: drain), tracePath: trace, profile: BackendProfile(rawValue: profile) ?? .openaiTypical,
            seed: seed, questions: questions, collection: collection, valkeyURL: valkeyURL, apiURL: apiURL, apiKey: apiKey, prefix: prefix,
            openAIURL: openaiURL, qdrantURL: qdrantURL, chaos: try chaosPlan(), lease: CommandSupport.duration(seconds: lease),
            jsonPath: json, svgPath: svg, timelinePath: timeline, baselinePath: baseline, tolerance: tolerance
        ).with(
            tenants: try tenantSpecs(),
            providerLimits: providerRpm == nil && providerTpm == nil
                ? nil : Simulation.ProviderLimitOption(requestsPerMinute: providerRpm, tokensPerMinute: providerTpm),
            pacing: pacing == "on"
        ).with(valkey: try valkeyTopology(), durability: Durability(rawValue: durability) ?? .none).with(drawPerStep: arrivalsPerStep)
            .with(repetition: Repetition(zipf: zipf, paraphrase: paraphrase, answerCacheSeconds: answerCache, semanticThreshold: semanticCache))
    }

    /// `--valkey` parsed.
    private func valkeyTopology() throws -> ValkeyTopology {
        guard let topology = ValkeyTopology(rawValue: valkey) else {
            throw ValidationError("--valkey must be single, sentinel or cluster, got '\(valkey)'")
        }
        return topology
    }

    /// `--tenant` parsed.
    private func tenantSpecs() throws -> [TenantSpec] {
        do {
            return try tenant.map { text throws(SimulationError) in try TenantSpec(parsing: text) }
        } catch {
            throw ValidationError(error.description)
        }
    }

    static let defaultWorkers = "1...4"

    /// `--workers` parsed.
    private func workerCounts() throws -> WorkerCounts {
        do {
            return try WorkerCounts(workers ?? Self.defaultWorkers)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// `--chaos` parsed, if given.
    private func chaosPlan() throws -> ChaosPlan? {
        guard let chaos else { return nil }
        do {
            return try ChaosPlan(chaos)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
