import FakeBackends
import Foundation
import Logging
import RAGQueue
import RAGQueueTestSupport

/// The services one simulation runs against: Valkey, the OpenAI-compatible API, Qdrant and the
/// corpus collection; each one started here (embedded) unless a URL points elsewhere.
struct SimulationServices: Sendable {
    /// Where to find each service; nil starts an embedded one.
    struct Endpoints: Sendable {
        var valkeyURL: String?
        var apiURL: String?
        var openAIURL: String?
        var qdrantURL: String?
        /// The embedded Valkey's shape, without `valkeyURL`.
        var valkeyTopology: ValkeyTopology = .single
    }

    /// The Valkey URL the queue lives on.
    let valkeyURL: String
    /// The OpenAI-compatible API root (with `/v1`).
    let openAIURL: String
    /// Qdrant's REST URL.
    let qdrantURL: String
    /// The external API's root, or nil when each step starts its own `ragserve api`.
    let apiURL: String?
    /// The collection the corpus was ingested into.
    let collection: String
    /// The HTTP client for submissions and checks.
    let httpClient: CurlHTTPClient
    /// Which services were started here, for the scenario record.
    let embedded: [String]
    /// The embedded servers, for fault injection; nil when a URL pointed elsewhere.
    let valkeyServer: ValkeyServerProcess?
    /// The embedded Sentinel group (`--valkey sentinel`), for `failover-valkey`.
    let valkeyGroup: ValkeySentinelGroup?
    let fakeOpenAI: FakeOpenAIServer?
    let fakeQdrant: FakeQdrantServer?

    /// The OpenAI key children use: the environment's `OPENAI_API_KEY` against an external API,
    /// any key against the fake (it accepts every key not starting `sk-invalid`).
    let openAIKey: String
    /// Whether the workers pace their model calls to the provider's limits.
    var pacing: Bool = true
    /// What an accepted job has survived before the API's 202 (`RAGQ_DURABILITY` of the children).
    var durability: Durability = .none

    /// Starts what is missing, checks what is given, ingests the corpus; registers every stop with `reaper`.
    /// With `appendOnly`, an embedded Valkey keeps an append-only file, so it can be killed and
    /// restarted; `durability` goes to the children.
    static func start(
        endpoints: Endpoints, profile: BackendProfile, seed: UInt64, corpus: SimCorpus, collection: String,
        appendOnly: Bool = false, providerLimits: Simulation.ProviderLimitOption? = nil, pacing: Bool = true, durability: Durability = .none, workDirectory: URL, reaper: ProcessReaper, logger: Logger, say: @Sendable (String) -> Void
    ) async throws -> SimulationServices {
        var embedded: [String] = []
        let valkeyURL: String
        var valkeyServer: ValkeyServerProcess?
        var valkeyGroup: ValkeySentinelGroup?
        var fakeOpenAI: FakeOpenAIServer?
        var fakeQdrant: FakeQdrantServer?
        if let given = endpoints.valkeyURL {
            valkeyURL = given
        } else if endpoints.valkeyTopology == .sentinel {
            let group = try ValkeySentinelGroup(appendOnly: appendOnly, executable: Self.locateValkeyServer())
            valkeyGroup = group
            reaper.add("valkey-sentinel-group") { await group.stop() }
            try await group.start()
            valkeyURL = group.url
            embedded.append("valkey (primary, 2 replicas, 3 sentinels)")
        } else if endpoints.valkeyTopology == .cluster {
            let cluster = try await ValkeyClusterGroup.started(appendOnly: appendOnly, executable: Self.locateValkeyServer())
            reaper.add("valkey-cluster") { await cluster.stop() }
            valkeyURL = cluster.url
            embedded.append("valkey (3-primary cluster)")
        } else {
            let server = try ValkeyServerProcess(appendOnly: appendOnly, executable: Self.locateValkeyServer())
            valkeyServer = server
            reaper.add("valkey-server") {
                await server.stop()
                server.cleanUp()
            }
            try await server.start()
            valkeyURL = server.url
            embedded.append("valkey")
        }
        do {
            try await ValkeyJobStore.checkReachable(url: valkeyURL)
        } catch {
            throw SimulationError("Valkey at \(valkeyURL): \(error)")
        }

        let openAIURL: String
        if let given = endpoints.openAIURL {
            openAIURL = given
        } else {
            var configuration = FakeOpenAIServer.Configuration(seed: seed, latency: profile.openAILatency)
            if let providerLimits {
                configuration.modelRateLimits[OpenAIChatModel.Configuration().model] = RateLimits(
                    requestsPerMinute: providerLimits.requestsPerMinute, tokensPerMinute: providerLimits.tokensPerMinute
                )
            }
            let server = FakeOpenAIServer(configuration: configuration)
            reaper.add("fake-openai") { await server.stop() }
            try await server.start()
            fakeOpenAI = server
            openAIURL = server.baseURL
            embedded.append("openai")
        }
        let qdrantURL: String
        if let given = endpoints.qdrantURL {
            qdrantURL = given
        } else {
            let server = FakeQdrantServer(configuration: .init(seed: seed, latency: profile.qdrantLatency))
            reaper.add("fake-qdrant") { await server.stop() }
            try await server.start()
            fakeQdrant = server
            qdrantURL = server.baseURL
            embedded.append("qdrant")
        }
        let openAIKey = endpoints.openAIURL == nil
            ? "sk-ragsim" : (ProcessInfo.processInfo.environment["OPENAI_API_KEY"] ?? "")

        var configuration = RAGQueueConfiguration()
        configuration.valkeyURL = valkeyURL
        configuration.openAI.baseURL = openAIURL
        configuration.openAI.apiKey = openAIKey
        configuration.http.connectTimeout = .seconds(3)
        configuration.http.timeout = .seconds(30)
        configuration.qdrant.baseURL = qdrantURL
        configuration.qdrant.timeout = .seconds(30)
        configuration.pipeline.rules.defaultCollection = collection
        let backends = try RAGBackends(configuration: configuration, logger: logger)
        let httpClient = backends.httpClient
        reaper.add("http-client") { await httpClient.shutdown() }

        if let given = endpoints.openAIURL {
            try await Self.checkReachable(given + "/models", name: "the OpenAI-compatible API", key: openAIKey, httpClient: httpClient)
        }
        if let given = endpoints.qdrantURL {
            try await Self.checkReachable(given + "/", name: "Qdrant", key: nil, httpClient: httpClient)
        }
        if let apiURL = endpoints.apiURL {
            try await Self.checkHealth(apiURL, httpClient: httpClient)
        }

        let ingester = backends.ingester(configuration.ingest)
        let folder = try corpus.write(under: workDirectory)
        let start = ContinuousClock.now
        let summary: DocumentIngester.Summary
        do {
            summary = try await ingester.ingest(paths: [folder], into: collection)
        } catch {
            throw SimulationError("cannot ingest the corpus (OpenAI at \(openAIURL), Qdrant at \(qdrantURL)): \(error)")
        }
        say(
            "corpus: \(summary.files) documents, \(summary.chunks) chunks of \(summary.dimension)-d vectors in `\(collection)` "
                + "(\(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s, \(backends.embeddings.modelName))"
        )
        return SimulationServices(
            valkeyURL: valkeyURL, openAIURL: openAIURL, qdrantURL: qdrantURL, apiURL: endpoints.apiURL, collection: collection,
            httpClient: httpClient, embedded: embedded, valkeyServer: valkeyServer, valkeyGroup: valkeyGroup,
            fakeOpenAI: fakeOpenAI, fakeQdrant: fakeQdrant, openAIKey: openAIKey, pacing: pacing, durability: durability
        )
    }

    /// `$VALKEY_SERVER`, else the checkout's `.deps/bin/valkey-server` when ragsim runs from
    /// `.build/<configuration>/`, else nil (ValkeyServerProcess then looks in the working directory and PATH).
    static func locateValkeyServer() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["VALKEY_SERVER"], !explicit.isEmpty { return explicit }
        let checkout = URL(fileURLWithPath: ChildProcess.currentExecutable).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for candidate in [checkout, checkout.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(".deps/bin/valkey-server").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// `GET url` answers within a few seconds and does not refuse the key (401, 403).
    static func checkReachable(_ url: String, name: String, key: String?, httpClient: CurlHTTPClient) async throws {
        var headers = HTTPClientHeaders()
        if let key, !key.isEmpty { headers.add(name: "Authorization", value: "Bearer \(key)") }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(HTTPClientRequest(url: url, headers: headers, timeout: .seconds(5), connectTimeout: .seconds(3)))
        } catch {
            throw SimulationError("\(name) at \(url) is not reachable: \(error)")
        }
        guard response.status != 401, response.status != 403 else {
            throw SimulationError("\(name) at \(url) refused the credentials (\(response.status)); set OPENAI_API_KEY")
        }
    }

    /// `GET <root>/healthz` answers 200 within a few seconds, or a clear error.
    static func checkHealth(_ root: String, httpClient: CurlHTTPClient) async throws {
        do {
            let response = try await httpClient.execute(
                HTTPClientRequest(url: root + "/healthz", timeout: .seconds(3), connectTimeout: .seconds(2))
            )
            guard response.isSuccess else { throw SimulationError("answered \(response.status)") }
        } catch {
            throw SimulationError("the API at \(root) is not healthy: \(error)")
        }
    }

    /// The environment of a child process: this one's, minus API keys, plus the run's wiring.
    func childEnvironment(prefix: String, concurrency: Int, repetition: Repetition = Repetition()) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["API_KEYS", "API_KEYS_FILE", "API_PORT", "API_HOST"] { environment[name] = nil }
        environment["VALKEY_URL"] = valkeyURL
        environment["RAGQ_PREFIX"] = prefix
        environment["RAGQ_QUEUE"] = "default"
        environment["RAGQ_MAX_DEPTH"] = "0"
        environment["OPENAI_BASE_URL"] = openAIURL
        environment["OPENAI_API_KEY"] = openAIKey
        environment["QDRANT_URL"] = qdrantURL
        environment["RAG_COLLECTION"] = collection
        environment["WORKER_CONCURRENCY"] = String(concurrency)
        environment["WORKER_SHUTDOWN_GRACE_SECONDS"] = "2"
        environment["API_RATE_LIMIT_PER_MINUTE"] = "0"
        environment["LOG_LEVEL"] = "warning"
        environment["RAG_PROVIDER_PACING"] = pacing ? "on" : "off"
        environment["RAGQ_DURABILITY"] = durability.rawValue
        environment["RAGQ_ANSWER_CACHE_TTL_SECONDS"] = nil
        environment["RAGQ_SEMANTIC_CACHE_THRESHOLD"] = nil
        environment.merge(repetition.environment) { $1 }
        return environment
    }
}
