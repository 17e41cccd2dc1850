import ArgumentParser
import RAGQueue

/// The load simulator: replays concurrent query traffic against the real system and measures it.
@main
struct RagSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ragsim",
        abstract: "Load simulator and benchmarks for RAGQueue.",
        version: RAGQueueVersion.current,
        subcommands: [
            SimulateCommand.self, PlanCommand.self, ChartCommand.self, BenchQueueCommand.self, BenchAPICommand.self, BenchWorkerCommand.self, BenchDashboardCommand.self,
            QueueWorkerCommand.self, FakesCommand.self,
            BenchFakesCommand.self,
        ],
        defaultSubcommand: SimulateCommand.self
    )
}
