import ArgumentParser
import RAGSimulator

/// `ragsim bench-fakes`: requests per second the fakes serve at zero latency, so a simulation
/// knows they are never its bottleneck.
struct BenchFakesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-fakes",
        abstract: "Measure requests per second of the fake OpenAI and Qdrant servers at zero latency.",
        discussion: """
            Runs both fakes in-process with no latency, faults or limits, and drives each scenario \
            over keep-alive HTTP/1.1 connections from the same process (so client and server share \
            the machine's cores): embeddings of 1,536 dimensions (base64 and float), chat (plain \
            and streamed), and a query over --points points of 1,536 dimensions.
            """
    )

    @Option(help: "Seconds each scenario runs.")
    var duration = 5.0

    @Option(help: "Concurrent keep-alive connections per scenario.")
    var connections = 16

    @Option(help: "Points in the collection the query scenario searches.")
    var points = 10_000

    @Option(help: "Dimensions of the embeddings and of the points.")
    var dimensions = 1536

    @Option(help: "Run only the scenarios whose name starts with this (embeddings, chat, query).")
    var only: String?

    func validate() throws {
        guard duration > 0, connections > 0, points > 0, dimensions > 0 else {
            throw ValidationError("duration, connections, points and dimensions must be positive")
        }
    }

    func run() async throws {
        let options = FakesBenchmark.Options(
            duration: CommandSupport.duration(seconds: duration), connections: connections, points: points, dimensions: dimensions, only: only
        )
        do {
            try await FakesBenchmark(options: options).run()
        } catch let error as SimulationError {
            // bench-fakes has always ended a failed upsert the way ArgumentParser ends a usage error (exit status 64).
            throw ValidationError(error.description)
        }
    }
}
