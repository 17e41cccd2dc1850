import Logging

/// A deterministic fake of the OpenAI API (models, embeddings, chat completions) on a real
/// HTTP port, for tests and the load simulator.
///
/// ```swift
/// let server = FakeOpenAIServer(configuration: .init(seed: 42))
/// try await server.start()
/// // point an OpenAI client at server.baseURL ("http://127.0.0.1:<port>/v1")
/// await server.stop()
/// ```
public final class FakeOpenAIServer: Sendable {
    /// The endpoints, as counted and as keys of latency profiles and fault plans.
    public enum Endpoint: String, Sendable, Hashable, CaseIterable {
        /// `GET /v1/models`.
        case listModels
        /// `GET /v1/models/{id}`.
        case retrieveModel
        /// `POST /v1/embeddings`.
        case embeddings
        /// `POST /v1/chat/completions`.
        case chatCompletions
    }

    /// What the server does; every field has a default, so `.init()` is a quiet, instant,
    /// faultless fake on a free port.
    public let configuration: Configuration
    /// Live counts of requests, faults and refusals.
    public let counters: FakeServerCounters<Endpoint>
    private let runner = FakeHTTPServerRunner()
    private let gate: RequestGate<Endpoint>
    private let logger: Logger

    /// A server that will run with `configuration` once started.
    public init(configuration: Configuration = Configuration(), logger: Logger? = nil) {
        self.configuration = configuration
        self.counters = FakeServerCounters()
        self.gate = RequestGate(
            seed: configuration.seed,
            latency: configuration.latency,
            faults: configuration.faults,
            concurrencyLimit: configuration.concurrencyLimit,
            counters: counters
        )
        var defaultLogger = Logger(label: "FakeOpenAIServer")
        defaultLogger.logLevel = configuration.logLevel
        self.logger = logger ?? defaultLogger
    }

    /// Binds the port and starts serving; returns once the server accepts connections.
    public func start() async throws {
        let responder = OpenAIResponder(
            configuration: configuration, gate: gate, rateLimiters: ModelRateLimiters(defaults: configuration.rateLimits, models: configuration.modelRateLimits))
        _ = try await runner.start(host: configuration.host, port: configuration.port, responder: responder, logger: logger)
    }

    /// Stops serving: requests in flight get a second to finish, then are cancelled. Safe to call twice.
    public func stop() async {
        await runner.stop()
    }

    /// Replaces the configured fault plan while the server runs (a burst of faults, say); nil
    /// restores `configuration.faults`.
    public func setFaults(_ plan: FaultPlan<Endpoint>?) {
        gate.setFaults(plan ?? configuration.faults)
    }

    /// The bound port, or 0 before `start()`.
    public var port: Int { runner.port ?? 0 }

    /// The base URL an OpenAI client takes, `/v1` included: `http://127.0.0.1:<port>/v1`.
    public var baseURL: String { "http://\(configuration.host):\(port)/v1" }
}

extension FakeOpenAIServer {
    /// The fake's behaviour. Wiring (host, port) first, then behaviour.
    public struct Configuration: Sendable {
        /// Address to bind. Default `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 (the default) picks a free one, reported by `port`.
        public var port: Int
        /// Seed of every random choice (latency draws, planned faults, request ids). Default 0.
        public var seed: UInt64
        /// Latency per endpoint, plus a per-output-token time for chat. Default: none.
        public var latency: LatencyProfile<Endpoint>
        /// Server-side fault plan. Default: no faults.
        public var faults: FaultPlan<Endpoint>
        /// Requests and tokens per minute of each model (as OpenAI counts them: every model has its
        /// own), answered with 429 when exceeded. Default: unlimited.
        public var rateLimits: RateLimits
        /// Limits of particular models, in place of `rateLimits`. Default none.
        public var modelRateLimits: [String: RateLimits] = [:]
        /// Requests served at once; the rest wait. Default nil (no limit).
        public var concurrencyLimit: Int?
        /// Embedding models and their native sizes. Default: the three OpenAI models.
        public var embeddingModels: [String: Int]
        /// Chat models the fake answers for; others give 404 `model_not_found`.
        public var chatModels: [String]
        /// Whether requests need `Authorization: Bearer <key>`. Default true (keys starting
        /// `sk-invalid` are refused, every other key is accepted).
        public var requireAuthorization: Bool
        /// Least severe level the server logs at, unless a logger is passed in. Default `.warning`.
        public var logLevel: Logger.Level

        /// A configuration; every argument has the documented default.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            seed: UInt64 = 0,
            latency: LatencyProfile<Endpoint> = LatencyProfile(),
            faults: FaultPlan<Endpoint> = FaultPlan(),
            rateLimits: RateLimits = RateLimits(),
            concurrencyLimit: Int? = nil,
            embeddingModels: [String: Int] = Configuration.defaultEmbeddingModels,
            chatModels: [String] = Configuration.defaultChatModels,
            requireAuthorization: Bool = true,
            logLevel: Logger.Level = .warning
        ) {
            self.host = host
            self.port = port
            self.seed = seed
            self.latency = latency
            self.faults = faults
            self.rateLimits = rateLimits
            self.concurrencyLimit = concurrencyLimit
            self.embeddingModels = embeddingModels
            self.chatModels = chatModels
            self.requireAuthorization = requireAuthorization
            self.logLevel = logLevel
        }

        /// `text-embedding-3-small` 1536, `text-embedding-3-large` 3072, `text-embedding-ada-002` 1536.
        public static let defaultEmbeddingModels: [String: Int] = [
            "text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536,
        ]

        /// The chat models the seed project and its course copies use.
        public static let defaultChatModels: [String] = [
            "gpt-4", "gpt-4-turbo", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "gpt-5",
            "gpt-5-mini", "gpt-5-nano", "gpt-3.5-turbo",
        ]

        /// Every model, sorted: chat models in their order, then embedding models by name.
        var allModels: [String] {
            chatModels + embeddingModels.keys.sorted()
        }
    }
}
