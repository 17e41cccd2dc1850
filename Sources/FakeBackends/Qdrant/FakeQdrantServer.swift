import Logging

/// A deterministic fake of Qdrant's REST API (collections, points, exact search, filters) on a
/// real HTTP port, for tests and the load simulator. Data lives in memory.
///
/// ```swift
/// let server = FakeQdrantServer(configuration: .init(version: "1.16.2"))
/// try await server.start()
/// // point a Qdrant client at server.baseURL ("http://127.0.0.1:<port>")
/// await server.stop()
/// ```
public final class FakeQdrantServer: Sendable {
    /// The endpoints, as counted and as keys of latency profiles and fault plans.
    public enum Endpoint: String, Sendable, Hashable, CaseIterable {
        /// `GET /` (version probe).
        case root
        /// `GET /healthz`, `/livez`, `/readyz`.
        case health
        /// `GET /collections`.
        case listCollections
        /// `PUT /collections/{name}`.
        case createCollection
        /// `GET /collections/{name}`.
        case getCollection
        /// `PATCH /collections/{name}`.
        case updateCollection
        /// `DELETE /collections/{name}`.
        case deleteCollection
        /// `GET /collections/{name}/exists`.
        case collectionExists
        /// `PUT /collections/{name}/points`.
        case upsertPoints
        /// `POST /collections/{name}/points` (retrieve by ids).
        case retrievePoints
        /// `GET /collections/{name}/points/{id}`.
        case getPoint
        /// `POST /collections/{name}/points/query`.
        case queryPoints
        /// `POST /collections/{name}/points/search` (legacy).
        case searchPoints
        /// `POST /collections/{name}/points/scroll`.
        case scrollPoints
        /// `POST /collections/{name}/points/count`.
        case countPoints
        /// `POST /collections/{name}/points/delete`.
        case deletePoints
        /// `PUT /collections/{name}/index`.
        case createIndex
        /// `DELETE /collections/{name}/index/{field}`.
        case deleteIndex
    }

    /// What the server does; every field has a default.
    public let configuration: Configuration
    /// Live counts of requests, faults and refusals.
    public let counters: FakeServerCounters<Endpoint>
    private let runner = FakeHTTPServerRunner()
    private let gate: RequestGate<Endpoint>
    private let store = QdrantStore()
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
        var defaultLogger = Logger(label: "FakeQdrantServer")
        defaultLogger.logLevel = configuration.logLevel
        self.logger = logger ?? defaultLogger
    }

    /// Binds the port and starts serving; returns once the server accepts connections.
    /// Collections survive a stop and a new start of the same instance.
    public func start() async throws {
        let responder = QdrantResponder(
            configuration: configuration, gate: gate, rateLimiter: RateLimiter(limits: configuration.rateLimits), store: store)
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

    /// The URL a Qdrant client takes: `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://\(configuration.host):\(port)" }
}

extension FakeQdrantServer {
    /// The fake's behaviour. Wiring (host, port) first, then behaviour.
    public struct Configuration: Sendable {
        /// Address to bind. Default `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 (the default) picks a free one, reported by `port`.
        public var port: Int
        /// Seed of every random choice (latency draws, planned faults). Default 0.
        public var seed: UInt64
        /// The version `GET /` reports; qdrant-client warns when its minor differs by more than 1.
        /// Default `1.16.2`, matching the seed project's pinned client.
        public var version: String
        /// When set, requests need `api-key: <key>` or `Authorization: Bearer <key>` (except
        /// `/` and the health endpoints). Default nil: no key needed.
        public var apiKey: String?
        /// Latency per endpoint. Default: none.
        public var latency: LatencyProfile<Endpoint>
        /// Server-side fault plan. Default: no faults.
        public var faults: FaultPlan<Endpoint>
        /// Requests per minute (strict mode), answered with 429 and an integer Retry-After.
        /// Tokens per minute do not apply to Qdrant. Default: unlimited.
        public var rateLimits: RateLimits
        /// Requests served at once; the rest wait. Default nil (no limit).
        public var concurrencyLimit: Int?
        /// Least severe level the server logs at, unless a logger is passed in. Default `.warning`.
        public var logLevel: Logger.Level

        /// A configuration; every argument has the documented default.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            seed: UInt64 = 0,
            version: String = "1.16.2",
            apiKey: String? = nil,
            latency: LatencyProfile<Endpoint> = LatencyProfile(),
            faults: FaultPlan<Endpoint> = FaultPlan(),
            rateLimits: RateLimits = RateLimits(),
            concurrencyLimit: Int? = nil,
            logLevel: Logger.Level = .warning
        ) {
            self.host = host
            self.port = port
            self.seed = seed
            self.version = version
            self.apiKey = apiKey
            self.latency = latency
            self.faults = faults
            self.rateLimits = rateLimits
            self.concurrencyLimit = concurrencyLimit
            self.logLevel = logLevel
        }
    }
}
