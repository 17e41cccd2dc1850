import ArgumentParser
import FakeBackends
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        let openAI = FakeOpenAIServer(
            configuration: .init(
                host: host, port: openaiPort, seed: seed,
                latency: .init(default: .fixed(.milliseconds(openaiLatencyMs)), perOutputToken: .milliseconds(tokenLatencyMs)),
                faults: .init(default: .init(internalServerError: faultRate)),
                concurrencyLimit: concurrencyLimit
            ))
        let qdrant = FakeQdrantServer(
            configuration: .init(
                host: host, port: qdrantPort, seed: seed, version: qdrantVersion, apiKey: qdrantApiKey,
                latency: .init(default: .fixed(.milliseconds(qdrantLatencyMs))),
                faults: .init(default: .init(internalServerError: faultRate)),
                concurrencyLimit: concurrencyLimit
            ))
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await openAI.start()
        do {
            try await qdrant.start()
        } catch {
            await openAI.stop()
            throw error
        }
        print("OPENAI_BASE_URL=\(openAI.baseURL)")
        print("QDRANT_URL=\(qdrant.baseURL)")
        fflush(nil)  // stdout is a pipe or file when run in the background: flush so readers see the URLs now
        for await _ in signals { break }
        await qdrant.stop()
        await openAI.stop()
    }
}
