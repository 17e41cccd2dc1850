import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import RAGQueue
@testable import RAGQueueAPI

/// The API's routes through Hummingbird's test harness on an `InMemoryJobStore`: no Valkey, no
/// sockets. The same behaviours run against a real Valkey over HTTP in the integration tests.
@Suite("API handlers on the in-memory store")
struct APIHandlerTests {
    /// A store, the router over it, and a way to send requests.
    struct Harness {
        let store: InMemoryJobStore
        let client: any TestClientProtocol

        /// Sends a request; `body` is JSON unless `contentType` says otherwise.
        func send(
            _ method: HTTPRequest.Method, _ uri: String, body: String? = nil, headers: HTTPFields = [:],
            contentType: String = "application/json"
        ) async throws -> TestResponse {
            var headers = headers
            if body != nil, headers[.contentType] == nil { headers[.contentType] = contentType }
            return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        }
    }

    /// Runs `body` against the API's router on a fresh in-memory store.
    static func withAPI(
        rules: QueryRules = QueryRules(), configure: (inout APIConfiguration) -> Void = { _ in },
        _ body: @Sendable @escaping (Harness) async throws -> Void
    ) async throws {
        let store = try InMemoryJobStore()
        var configuration = APIConfiguration()
        configure(&configuration)
        let dependencies = APIDependencies(
            store: store, rules: rules, estimator: CostEstimator(), configuration: configuration, metrics: APIMetrics(), webhooks: nil
        )
        let app = Application(router: buildAPIRouter(dependencies))
        try await app.test(.router) { client in try await body(Harness(store: store, client: client)) }
        store.close()
    }

    @Test("a submitted question is accepted at once, stored in the contract's shape with its defaults, and readable")
    func submitAndRead() async throws {
        var rules = QueryRules()
        rules.defaultCollection = "docs"
        try await Self.withAPI(rules: rules) { api in
            let accepted = try await api.send(.post, "/v1/queries", body: #"{"query":"  What is a lease? "}"#)
            #expect(accepted.status == .accepted)
            let id = try #require(accepted.json["id"]?.stringValue)
            #expect(accepted.headers[.location] == "/v1/queries/\(id)")
            #expect(accepted.json["status"] == "queued")

            let jobID = try #require(JobID(id))
            let record = try #require(try await api.store.job(jobID))
            #expect(try RAGQuery(json: record.payload) == RAGQuery(query: "What is a lease?", collection: "docs", topK: 4, priority: 5))

            let read = try await api.send(.get, "/v1/queries/\(id)")
            #expect(read.status == .ok)
            #expect(read.json["query"] == "What is a lease?")
            #expect(read.json["collection"] == "docs")
            #expect(read.json["top_k"] == 4)
        }
    }

    @Test("bad bodies get a JSON error naming what is wrong, and nothing is enqueued", arguments: [
        (#"{"query":"x","colection":"typo"}"#, 422, "colection"), (#"{"query":"q","top_k":4.5}"#, 422, "top_k"),
        (#"{"query":"q","top_k":21}"#, 422, "top_k"), (#"{"#, 400, "JSON"), (#"{"query":"q","filter":{"a":{"b":1}}}"#, 422, "filter.a"),
    ])
    func badBodies(body: String, status: Int, named: String) async throws {
        try await Self.withAPI { api in
            let response = try await api.send(.post, "/v1/queries", body: body)
            #expect(response.status.code == status)
            #expect(response.json["error"]?["message"]?.stringValue?.contains(named) == true, "\(response.text)")
            #expect(try await api.store.stats().counters["enqueued", default: 0] == 0)
        }
    }

    @Test("a long poll returns as soon as the job ends")
    func longPoll() async throws {
        try await Self.withAPI { api in
            let id = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#).json["id"]?.stringValue)
            let store = api.store
            let worker = Task {
                // Finish the job once the poll is waiting on it.
                while true {
                    if let job = try await store.claim(workerID: "w", count: 1).jobs.first {
                        try await store.complete(job.lease, result: Array(#"{"answer":"done"}"#.utf8), timings: [:])
                        return
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            let start = ContinuousClock.now
            let polled = try await api.send(.get, "/v1/queries/\(id)?wait=20")
            try await worker.value
            #expect(polled.json["status"] == "finished")
            #expect(polled.json["result"]?["answer"] == "done")
            #expect(ContinuousClock.now - start < .seconds(20), "the poll ended by the job's end, not its wait")
        }
    }

    @Test("cancel ends a waiting job; a second cancel is a conflict")
    func cancel() async throws {
        try await Self.withAPI { api in
            let id = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#).json["id"]?.stringValue)
            let first = try await api.send(.delete, "/v1/queries/\(id)")
            #expect(first.json["outcome"] == "canceled")
            #expect(try await api.send(.delete, "/v1/queries/\(id)").status == .conflict)
            #expect(try await api.send(.get, "/v1/queries/\(id)").json["status"] == "canceled")
        }
    }

    @Test("with keys, a tenant sees only its own jobs; no key is 401; a spent bucket is 429 with Retry-After")
    func tenantsAndLimits() async throws {
        try await Self.withAPI(configure: { configuration in
            configuration.apiKeys = ["key-of-tenant-a": "a", "key-of-tenant-b": "b"]
            configuration.rateLimit.requestsPerMinute = 60
            configuration.rateLimit.burst = 3
        }) { api in
            let a: HTTPFields = [.authorization: "Bearer key-of-tenant-a"]
            let b: HTTPFields = [.authorization: "Bearer key-of-tenant-b"]
            let id = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#, headers: a).json["id"]?.stringValue)
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: a).status == .ok)
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: b).status == .notFound)
            #expect(try await api.send(.get, "/v1/queries/\(id)").status == .unauthorized)
            // Tenant A's third request spends its burst of three; the fourth waits for the refill.
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: a).status == .ok)
            let limited = try await api.send(.get, "/v1/queries/\(id)", headers: a)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1")
            #expect(limited.json["error"]?["code"] == "rate_limited")
        }
    }

    @Test("the same Idempotency-Key returns the same job")
    func idempotency() async throws {
        try await Self.withAPI { api in
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-17"]
            let first = try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#, headers: headers)
            let again = try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#, headers: headers)
            #expect(first.json["id"] == again.json["id"])
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await api.store.stats().waiting == 1)
        }
    }

    @Test("a streamed job's events relay its tokens and end with the whole query")
    func events() async throws {
        try await Self.withAPI { api in
            let id = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"q","stream":true}"#).json["id"]?.stringValue)
            let job = try #require(try await api.store.claim(workerID: "w", count: 1).jobs.first)
            try await api.store.appendTokens([.attempt(1), .text("Hello"), .text(" there"), .end(finishReason: "stop")], to: job.id)
            try await api.store.complete(job.lease, result: Array(#"{"answer":"Hello there"}"#.utf8), timings: [:])
            let stream = try await api.send(.get, "/v1/queries/\(id)/events")
            #expect(stream.headers[.contentType] == "text/event-stream")
            let events = stream.text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { $0.dropFirst(7) }
            #expect(events == ["status", "reset", "token", "token", "done", "end"])
        }
    }

    @Test("a query's priority orders it among its tenant's queries; out of range is 422")
    func priorities() async throws {
        try await Self.withAPI { api in
            let low = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"later","priority":1}"#).json["id"]?.stringValue)
            let high = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"sooner","priority":9}"#).json["id"]?.stringValue)
            let claimed = try await api.store.claim(workerID: "w", count: 2).jobs.map(\.id.rawValue)
            #expect(claimed == [high, low])
            #expect(try await api.send(.post, "/v1/queries", body: #"{"query":"q","priority":10}"#).status == .unprocessableContent)
        }
    }

    @Test("a tenant whose budget is spent gets 429 with the time until the period renews; stats show its budget")
    func budgets() async throws {
        try await Self.withAPI(configure: { configuration in
            configuration.apiKeys = ["key-of-tenant-a": "a", "key-of-tenant-b": "b"]
            configuration.rateLimit.requestsPerMinute = 0
            // About three queries' estimates (4 chunks of 1,000 characters, 1,000 answer tokens on gpt-4.1-mini).
            configuration.tenants["a"] = TenantSettings(budget: TenantBudget(unit: .microUSD, period: .day, limit: 7000))
        }) { api in
            let a: HTTPFields = [.authorization: "Bearer key-of-tenant-a"]
            var accepted = 0
            var refusal: TestResponse?
            for _ in 0..<10 {
                let response = try await api.send(.post, "/v1/queries", body: #"{"query":"What does the lease protect?"}"#, headers: a)
                if response.status == .accepted { accepted += 1 } else { refusal = response; break }
            }
            #expect(accepted == 3)
            let refused = try #require(refusal)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json["error"]?["code"] == "budget_exhausted")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter >= 1 && retryAfter <= 86_400, "seconds until midnight UTC")
            let b: HTTPFields = [.authorization: "Bearer key-of-tenant-b"]
            #expect(try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#, headers: b).status == .accepted, "other tenants are not held")

            let stats = try await api.send(.get, "/v1/stats", headers: a).json
            let tenants = stats["tenants"]?.arrayValue ?? []
            #expect(tenants.compactMap { $0["tenant"]?.stringValue } == ["a"], "a tenant sees its own line only")
            #expect(tenants.first?["budget"]?["reserved_units"]?.intValue ?? 0 > 0)
            #expect(tenants.first?["waiting"] == 3)
        }
    }

    @Test("the seed's routes answer in their own shapes")
    func seedRoutes() async throws {
        try await Self.withAPI { api in
            let queued = try await api.send(.post, "/chat?query=What%20is%20RAG%3F")
            #expect(queued.json["status"] == "queued")
            let id = try #require(queued.json["job_id"]?.stringValue)
            #expect(try await api.send(.get, "/job-status/\(id)").json["status"] == "queued")
            #expect(try await api.send(.get, "/result/\(id)").json["message"]?.stringValue?.contains("not yet completed") == true)
            #expect(try await api.send(.get, "/job-status/unknown").json["detail"] == "Job not found")
            #expect(try await api.send(.post, "/chat").status == .unprocessableContent)
        }
    }

    @Test("readiness and metrics read the store")
    func operations() async throws {
        try await Self.withAPI { api in
            _ = try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#)
            #expect(try await api.send(.get, "/readyz").status == .ok)
            let metrics = try await api.send(.get, "/metrics").text
            #expect(metrics.contains(#"ragqueue_queue_jobs{state="waiting"} 1"#))
        }
    }
}

extension TestResponse {
    /// The body parsed as JSON (`null` when it is not JSON).
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: body).utf8))) ?? .null }
    /// The body as text.
    var text: String { String(buffer: body) }
}
