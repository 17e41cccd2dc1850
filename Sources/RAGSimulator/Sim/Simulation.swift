import Foundation
import Logging
import RAGQueue
import RAGQueueTestSupport

/// A whole simulation: services up, one step per worker count, the table, the report.
public struct Simulation: Sendable {
    /// Everything the command line chose.
    struct Settings: Sendable {
        var workers: WorkerCounts
        var concurrency: Int
        var qps: Double
        var arrivals: ArrivalSchedule.Process
        var warmup: Duration
        var duration: Duration
        var drain: Duration
        var profile: BackendProfile
        var seed: UInt64
        var collection: String
        var endpoints: SimulationServices.Endpoints
        var apiKey: String?
        var prefix: String?
        var questions: Int
        /// Replayed instead of arrivals at `qps` when set; `qps` is then the trace's rate.
        var trace: QueryTrace? = nil
        /// Faults to inject: one step at the largest worker count, ending with a ledger.
        var chaos: ChaosPlan?
        /// The workers' job lease in a chaos run.
        var lease: Duration = .seconds(15)
        /// Tenants sending the traffic.
        var tenants: [TenantSpec] = []
        /// The fake provider's chat limits.
        var providerLimits: ProviderLimitOption? = nil
        /// Whether workers pace their model calls.
        var pacing: Bool = true
        /// What an accepted job has survived before the 202.
        var durability: Durability = .none
        /// Whether each step draws its own arrivals.
        var drawPerStep = false
        /// `ragsim plan`: the latency target; the plan then chooses the steps.
        var plan: PlanTarget? = nil
        /// How questions repeat and which answer caches are on.
        var repetition = Repetition()
    }

    let settings: Settings
    let reaper: ProcessReaper
    let logger: Logger
    let say: @Sendable (String) -> Void

    /// Runs every step; the caller stops what the reaper holds afterwards, whatever happens.
    func run(workDirectory: URL) async throws -> SimulationReport {
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let ragserve = try Self.locateRagserve()
        let corpus = SimCorpus(seed: settings.seed, questions: settings.questions)
        let services = try await SimulationServices.start(
            endpoints: settings.endpoints, profile: settings.profile, seed: settings.seed, corpus: corpus,
            collection: settings.collection, appendOnly: (settings.chaos?.restartsValkey ?? false) || settings.durability == .local,
            providerLimits: settings.providerLimits, pacing: settings.pacing, durability: settings.durability, workDirectory: workDirectory, reaper: reaper, logger: logger, say: say
        )
        let embedded = services.embedded + (settings.endpoints.apiURL == nil ? ["api"] : [])
        say(
            "scenario: workers \(settings.workers) x concurrency \(settings.concurrency), \(settings.trafficSummary), "
                + "warm-up \(Self.number(settings.warmup.seconds)) s, measure "
                + "\(Self.number(settings.duration.seconds)) s, drain <= \(Self.number(settings.drain.seconds)) s, profile "
                + "\(settings.profile.rawValue) (\(settings.profile.summary)), seed \(settings.seed)"
        )
        say("services: valkey \(services.valkeyURL), openai \(services.openAIURL), qdrant \(services.qdrantURL), api "
            + (services.apiURL ?? "ragserve api per step") + "; submitting through the API")

        let runPrefix = "ragsim-\(JobID().rawValue.prefix(8))"
        let plan = SimulationStep.Plan(
            concurrency: settings.concurrency, qps: settings.qps, arrivals: settings.arrivals, warmup: settings.warmup,
            duration: settings.duration, drain: settings.drain, seed: settings.seed, questions: corpus.questions, runPrefix: runPrefix,
            fixedPrefix: settings.endpoints.apiURL == nil ? nil : (settings.prefix ?? "ragq"),
            apiKey: settings.apiKey, ragserve: ragserve, logDirectory: workDirectory, progress: isatty(STDOUT_FILENO) == 1, trace: settings.trace,
            tenants: settings.tenants, drawPerStep: settings.drawPerStep, repetition: settings.repetition
        )
        let step = SimulationStep(plan: plan, services: services, reaper: reaper, say: say)
        var results: [StepResult] = []
        var ledger: ChaosLedger?
        if let chaos = settings.chaos {
            let workers = settings.workers.values.max() ?? 1
            say(
                "chaos: \(chaos), \(workers) worker(s) x \(settings.concurrency), lease \(Self.number(settings.lease.seconds)) s, "
                    + "drain <= \(Self.number(ChaosRun.drainBound(drain: settings.drain, lease: settings.lease).seconds)) s"
            )
            let run = ChaosRun(chaos: chaos, step: step, services: services, workers: workers, lease: settings.lease, say: say)
            let (result, account) = try await run.run()
            results.append(result)
            ledger = account
        }
        var capacityPlan: CapacityPlanReport?
        if let target = settings.plan {
            (results, capacityPlan) = try await planCapacity(target, step: step)
        }
        for (index, workers) in settings.workers.values.enumerated() where settings.chaos == nil && settings.plan == nil {
            say("step \(index + 1)/\(settings.workers.values.count): \(workers) worker(s) x \(settings.concurrency)")
            let result = try await step.run(workers: workers, index: index).result
            results.append(result)
            say(
                "  done: offered \(Self.number(result.offeredPerSecond))/s, completed \(Self.number(result.completedPerSecond))/s, "
                    + "p95 \(result.latency.p95.map { String(format: "%.2f s", $0) } ?? "beyond drain"), "
                    + "efficiency \(String(format: "%.2f", result.efficiency))"
                    + (result.clockMismatches > 0 ? ", \(result.clockMismatches) record(s) disagree with ragsim's clock" : "")
            )
        }
        let scenario = SimulationReport.Scenario(
            workers: settings.workers.description, workerCounts: settings.workers.values, concurrency: settings.concurrency,
            qps: settings.qps, arrivals: settings.trace == nil ? settings.arrivals.rawValue : "trace", warmupSeconds: settings.warmup.seconds,
            durationSeconds: settings.duration.seconds, drainSeconds: settings.drain.seconds, profile: settings.profile.rawValue,
            seed: settings.seed, submission: "api", embedded: embedded, processors: ProcessInfo.processInfo.activeProcessorCount,
            trace: settings.trace?.source, tenants: settings.tenants.isEmpty ? nil : settings.tenants,
            providerRequestsPerMinute: settings.providerLimits?.requestsPerMinute, providerTokensPerMinute: settings.providerLimits?.tokensPerMinute,
            pacing: settings.pacing, arrivalsPerStep: settings.drawPerStep,
            repetition: settings.repetition.isSet ? settings.repetition : nil
        )
        return SimulationReport(startedAt: startedAt, scenario: scenario, steps: results, chaos: ledger, plan: capacityPlan)
    }

    /// `ragserve` next to this executable.
    static func locateRagserve() throws -> String {
        let folder = URL(fileURLWithPath: ChildProcess.currentExecutable).deletingLastPathComponent()
        let path = folder.appendingPathComponent("ragserve").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SimulationError("ragserve not found next to ragsim (\(path)): build both products (make build-release)")
        }
        return path
    }

    /// A number with at most one decimal, no trailing `.0`.
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
