import FakeBackends
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fake OpenAI and Qdrant servers side by side until SIGINT or SIGTERM, for clients outside
/// this process (the official Python clients' tests, a manual run of the system).
public struct FakeServers: Sendable {
    /// Where the fakes listen and how they behave.
    public struct Options: Sendable {
        /// The address to bind.
        var host: String
        /// The fake OpenAI server's port; 0: a free one.
        var openAIPort: Int
        /// The fake Qdrant server's port; 0: a free one.
        var qdrantPort: Int
        /// Seed of every random choice the fakes make.
        var seed: UInt64
        /// The version the fake Qdrant reports on `GET /`.
        var qdrantVersion: String
        /// The API key the fake Qdrant requires; nil: none.
        var qdrantAPIKey: String?
        /// Fixed latency of every OpenAI request.
        var openAILatency: Duration
        /// Time per generated chat token.
        var tokenLatency: Duration
        /// Fixed latency of every Qdrant request.
        var qdrantLatency: Duration
        /// Probability (0-1) that a request fails with a 500, both servers.
        var faultRate: Double
        /// Requests served at once per server, the rest waiting; nil: no limit.
        var concurrencyLimit: Int?

        /// Options with every value given.
        public init(
            host: String, openAIPort: Int, qdrantPort: Int, seed: UInt64, qdrantVersion: String, qdrantAPIKey: String?,
            openAILatency: Duration, tokenLatency: Duration, qdrantLatency: Duration, faultRate: Double, concurrencyLimit: Int?
        ) {
            self.host = host
            self.openAIPort = openAIPort
            self.qdrantPort = qdrantPort
            self.seed = seed
            self.qdrantVersion = qdrantVersion
            self.qdrantAPIKey = qdrantAPIKey
            self.openAILatency = openAILatency
            self.tokenLatency = tokenLatency
            self.qdrantLatency = qdrantLatency
            self.faultRate = faultRate
            self.concurrencyLimit = concurrencyLimit
        }
    }

    let options: Options

    /// The fakes `options` describe.
    public init(options: Options) {
        self.options = options
    }

    /// Starts both servers, prints `OPENAI_BASE_URL=…` and `QDRANT_URL=…` once both listen, and
    /// serves until SIGINT or SIGTERM.
    public func run() async throws {
        let openAI = FakeOpenAIServer(
            configuration: .init(
                host: options.host, port: options.openAIPort, seed: options.seed,
                latency: .init(default: .fixed(options.openAILatency), perOutputToken: options.tokenLatency),
                faults: .init(default: .init(internalServerError: options.faultRate)),
                concurrencyLimit: options.concurrencyLimit
            ))
        let qdrant = FakeQdrantServer(
            configuration: .init(
                host: options.host, port: options.qdrantPort, seed: options.seed, version: options.qdrantVersion, apiKey: options.qdrantAPIKey,
                latency: .init(default: .fixed(options.qdrantLatency)),
                faults: .init(default: .init(internalServerError: options.faultRate)),
                concurrencyLimit: options.concurrencyLimit
            ))
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await openAI.start()
        do {
            try await qdrant.start()
        } catch {
            await openAI.stop()
            throw error
        }
        Console.line("OPENAI_BASE_URL=\(openAI.baseURL)")
        Console.line("QDRANT_URL=\(qdrant.baseURL)")
        fflush(nil)  // stdout is a pipe or file when run in the background: flush so readers see the URLs now
        for await _ in signals { break }
        await qdrant.stop()
        await openAI.stop()
    }
}
