import ArgumentParser
import RAGSimulator

/// `ragsim plan`: how many workers a traffic needs to meet a latency target, by a queueing model
/// calibrated on measured service times, then confirmed on the real system.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Find the fewest workers that meet a p95 latency target for a traffic, and confirm it by simulation.",
        discussion: """
            Runs one calibration step (1 worker under the traffic) to measure service times, fits an M/G/c \
            queue (Erlang C with the Allen-Cunneen correction) and prints its steady state by worker count, \
            the smallest count whose p95 meets --p95, then runs that count and the one below it (or the \
            --workers given) on the real system and sets the model beside each measurement. The traffic and \
            every other option are those of `ragsim simulate`: --qps or --trace, --concurrency, --profile, ... \
            See docs/simulation.md.
            """
    )

    @Option(help: "The end-to-end p95 latency to meet, seconds.")
    var p95: Double
    @Option(help: "The most worker processes to consider.")
    var maxWorkers = 64
    @OptionGroup var simulation: SimulateCommand

    func validate() throws {
        guard p95 > 0, p95.isFinite, p95 <= 86_400 else { throw ValidationError("--p95 must be above 0 and at most 86400 seconds") }
        guard (1...256).contains(maxWorkers) else { throw ValidationError("--max-workers must be from 1 to 256") }
        if simulation.chaos != nil { throw ValidationError("plan does not take --chaos: the model has no faults") }
        if simulation.baseline != nil { throw ValidationError("plan does not take --baseline") }
        if !simulation.tenant.isEmpty { throw ValidationError("plan does not take --tenant: the model is one first-come, first-served queue") }
    }

    func run() async throws {
        let options = try simulation.options()
        let confirm = try simulation.workers.map { try WorkerCounts($0).values }
        let target = PlanTarget(p95Seconds: p95, maxWorkers: maxWorkers, confirm: confirm)
        try await CommandSupport.reportingFailures { try await Simulation.run(options.with(plan: target)) }
    }
}
