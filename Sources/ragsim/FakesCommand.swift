import ArgumentParser
import RAGSimulator

/// `ragsim fakes`: runs the fake OpenAI and Qdrant servers until interrupted.
struct FakesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fakes",
        abstract: "Run the deterministic fake OpenAI and Qdrant servers.",
        discussion: """
            Prints OPENAI_BASE_URL=… and QDRANT_URL=… (one per line) once both servers listen, then \
            serves until SIGINT or SIGTERM. Port 0 picks free ports.
            """
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port of the fake OpenAI server (0 = a free port).")
    var openaiPort = 0

    @Option(help: "Port of the fake Qdrant server (0 = a free port).")
    var qdrantPort = 0

    @Option(help: "Seed of every random choice the fakes make.")
    var seed: UInt64 = 0

    @Option(help: "Version the fake Qdrant reports on GET /.")
    var qdrantVersion = "1.16.2"

    @Option(help: "API key the fake Qdrant requires (default: none).")
    var qdrantApiKey: String?

    @Option(help: "Fixed latency of every OpenAI request, in milliseconds.")
    var openaiLatencyMs = 0

    @Option(help: "Time per generated chat token, in milliseconds.")
    var tokenLatencyMs = 0

    @Option(help: "Fixed latency of every Qdrant request, in milliseconds.")
    var qdrantLatencyMs = 0

    @Option(help: "Probability (0-1) that any request fails with a 500, both servers.")
    var faultRate = 0.0

    @Option(help: "Requests served at once per server; the rest wait (default: no limit).")
    var concurrencyLimit: Int?

    func validate() throws {
        guard (0...65535).contains(openaiPort), (0...65535).contains(qdrantPort) else {
            throw ValidationError("ports must be between 0 and 65535")
        }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1") }
    }

    func run() async throws {
        let options = FakeServers.Options(
            host: host, openAIPort: openaiPort, qdrantPort: qdrantPort, seed: seed, qdrantVersion: qdrantVersion, qdrantAPIKey: qdrantApiKey,
            openAILatency: .milliseconds(openaiLatencyMs), tokenLatency: .milliseconds(tokenLatencyMs),
            qdrantLatency: .milliseconds(qdrantLatencyMs), faultRate: faultRate, concurrencyLimit: concurrencyLimit
        )
        try await FakeServers(options: options).run()
    }
}
