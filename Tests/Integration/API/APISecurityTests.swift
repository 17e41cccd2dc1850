import Foundation
import RAGQueueTestSupport
import Synchronization
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// API keys, tenants and the shared per-key rate limit.
@Suite("API security", .timeLimit(.minutes(2)))
struct APISecurityTests {
    static let alice = "alice-key-0123456789"
    static let bob = "bob-key-0123456789"

    @Test("With keys configured, only health routes pass without one")
    func keysRequired() async throws {
        try await withAPI(configure: { $0.apiKeys = [Self.alice: "tenant-a"] }) { api in
            for path in ["/", "/healthz", "/readyz"] {
                #expect(try await api.send(.get, path).status == 200, "\(path)")
            }
            for path in ["/v1/stats", "/metrics", "/openapi.yaml", "/v1/queries/\(JobID())"] {
                let response = try await api.send(.get, path)
                #expect(response.status == 401, "\(path)")
                #expect(response.json["error"]?["code"] == .string("unauthorized"))
            }
            #expect(try await api.send(.post, "/v1/queries", body: #"{"query":"q"}"#).status == 401)
            #expect(try await api.send(.post, "/v1/queries", headers: ["Authorization": "Bearer wrong-key-000000"], body: #"{"query":"q"}"#).status == 401)
            #expect(try await api.send(.post, "/v1/queries", headers: ["Authorization": "Bearer \(Self.alice)"], body: #"{"query":"q"}"#).status == 202)
            #expect(try await api.send(.post, "/v1/queries", headers: ["X-API-Key": Self.alice], body: #"{"query":"q"}"#).status == 202)
        }
    }

    @Test("A tenant sees only its own queries; another tenant's id is 404")
    func tenantIsolation() async throws {
        try await withAPI(configure: { $0.apiKeys = [Self.alice: "tenant-a", Self.bob: "tenant-b"] }) { api in
            let aliceHeaders: HTTPClientHeaders = ["X-API-Key": Self.alice]
            let bobHeaders: HTTPClientHeaders = ["X-API-Key": Self.bob]
            let id = try await api.submit("alice's question", headers: aliceHeaders)
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: aliceHeaders).status == 200)
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: bobHeaders).status == 404)
            #expect(try await api.send(.get, "/v1/queries/\(id)/events", headers: bobHeaders).status == 404)
            #expect(try await api.send(.delete, "/v1/queries/\(id)", headers: bobHeaders).status == 404)
            #expect(try await api.send(.get, "/job-status/\(id)", headers: bobHeaders).status == 404)
            #expect(try await api.send(.get, "/result/\(id)", headers: bobHeaders).status == 404)
            let jobID = try #require(JobID(id))
            let record = try #require(try await api.queue.store.job(jobID))
            #expect(record.tenant == "tenant-a")
            #expect(record.status == .queued)

            // Idempotency keys are per tenant.
            let a = try await api.send(.post, "/v1/queries", headers: ["X-API-Key": Self.alice, "Idempotency-Key": "k"], body: #"{"query":"q"}"#)
            let b = try await api.send(.post, "/v1/queries", headers: ["X-API-Key": Self.bob, "Idempotency-Key": "k"], body: #"{"query":"q"}"#)
            #expect(a.json["id"] != b.json["id"])
        }
    }

    @Test("An operator's key reads and cancels any tenant's query and sees every tenant's figures, but submits nothing; HTTP Basic carries a key")
    func operatorKey() async throws {
        let operatorKey = "operator-key-0123456789"
        try await withAPI(configure: {
            $0.apiKeys = [Self.alice: "tenant-a", Self.bob: "tenant-b"]
            $0.adminKeys = [operatorKey]
        }) { api in
            let admin: HTTPClientHeaders = ["X-API-Key": operatorKey]
            let aliceID = try await api.submit("alice's question", headers: ["X-API-Key": Self.alice])
            _ = try await api.submit("bob's question", headers: ["X-API-Key": Self.bob])
            let read = try await api.send(.get, "/v1/queries/\(aliceID)", headers: admin)
            #expect(read.status == 200 && read.json["query"] == .string("alice's question"))
            let tenants = try await api.send(.get, "/v1/stats", headers: admin).json["tenants"]?.arrayValue ?? []
            #expect(Set(tenants.compactMap { $0["tenant"]?.stringValue }) == ["tenant-a", "tenant-b"])
            let own = try await api.send(.get, "/v1/stats", headers: ["X-API-Key": Self.bob]).json["tenants"]?.arrayValue ?? []
            #expect(own.compactMap { $0["tenant"]?.stringValue } == ["tenant-b"], "a tenant still sees only itself")

            let submitted = try await api.send(.post, "/v1/queries", headers: admin, body: #"{"query":"q"}"#)
            #expect(submitted.status == 403 && submitted.json["error"]?["code"] == .string("forbidden"), "\(submitted.text)")
            #expect(try await api.send(.post, "/chat?query=q", headers: admin).status == 403)

            #expect(try await api.send(.delete, "/v1/queries/\(aliceID)", headers: admin).json["outcome"] == .string("canceled"))

            // A browser sends HTTP Basic: the key is the password.
            let basic = { (key: String) -> HTTPClientHeaders in ["Authorization": "Basic " + Data("ops:\(key)".utf8).base64EncodedString()] }
            #expect(try await api.send(.get, "/v1/queries/\(aliceID)", headers: basic(operatorKey)).status == 200)
            #expect(try await api.send(.get, "/v1/queries/\(aliceID)", headers: basic(Self.alice)).status == 200)
            #expect(try await api.send(.get, "/v1/queries/\(aliceID)", headers: basic("wrong-key-000000")).status == 401)
        }
    }

    @Test("A tenant reaches the shared collection and its own; another tenant's is 403 on both submit routes; a list widens or narrows it")
    func collectionWalls() async throws {
        try await withAPI(configure: { configuration in
            configuration.apiKeys = [Self.alice: "tenant-a", Self.bob: "tenant-b"]
            configuration.tenants["tenant-b"] = TenantSettings(collections: ["tenant-b-docs", "partners"])
        }) { api in
            let alice: HTTPClientHeaders = ["X-API-Key": Self.alice]
            let bob: HTTPClientHeaders = ["X-API-Key": Self.bob]
            func submit(_ headers: HTTPClientHeaders, _ collection: String?) async throws -> (Int, String) {
                let body = collection.map { #"{"query":"q","collection":"\#($0)"}"# } ?? #"{"query":"q"}"#
                let response = try await api.send(.post, "/v1/queries", headers: headers, body: body)
                return (response.status, response.json["error"]?["code"]?.stringValue ?? "")
            }
            // Alice, without a list: the default collection and her own, not Bob's.
            #expect(try await submit(alice, nil).0 == 202)
            #expect(try await submit(alice, "tenant-a-manuals").0 == 202)
            #expect(try await submit(alice, "tenant-a_notes").0 == 202)
            let refused = try await submit(alice, "tenant-b-docs")
            #expect(refused.0 == 403 && refused.1 == "forbidden", "\(refused)")
            #expect(try await submit(alice, "tenant-ab").0 == 403, "a prefix must end at a separator")
            // Bob's list is all he reaches: not even the default collection.
            #expect(try await submit(bob, "partners").0 == 202)
            #expect(try await submit(bob, "tenant-b-docs").0 == 202)
            #expect(try await submit(bob, nil).0 == 403)
            #expect(try await submit(bob, "tenant-a-manuals").0 == 403)
            // The seed's route goes through the same wall (it uses the default collection).
            let seed = try await api.send(.post, "/chat?query=hello", headers: bob)
            #expect(seed.status == 403)
            #expect(try await api.queue.store.stats().waiting == 5, "refused submits enqueue nothing")
        }
    }

    @Test("Wrong keys from one address are throttled: 401 for the first few, then 429 with Retry-After, whatever key comes next")
    func failedAuthThrottle() async throws {
        try await withAPI(configure: { configuration in
            configuration.apiKeys = [Self.alice: "tenant-a"]
            configuration.rateLimit.authFailuresPerMinute = 3
        }) { api in
            var statuses: [Int] = []
            for attempt in 0..<4 {
                statuses.append(try await api.send(.get, "/v1/stats", headers: ["X-API-Key": "guess-\(attempt)-123456"]).status)
            }
            #expect(statuses == [401, 401, 401, 429], "\(statuses)")
            let paused = try await api.send(.get, "/v1/stats", headers: ["X-API-Key": Self.alice])
            #expect(paused.status == 429, "a paused address is refused before its key is compared")
            let retryAfter = try #require(paused.headers["Retry-After"].flatMap { Int($0) })
            #expect((1...20).contains(retryAfter), "one failure's worth of refill at 3 a minute: \(retryAfter) s")
            #expect(paused.json["error"]?["code"]?.stringValue == "rate_limited")
            // Health routes stay open.
            #expect(try await api.send(.get, "/healthz").status == 200)
        }
    }

    @Test("A key holds at most its limit of long-polls and event streams open; more are 429; other keys are not affected; an ended wait frees its slot")
    func openWaitLimit() async throws {
        try await withAPI(configure: { configuration in
            configuration.apiKeys = [Self.alice: "tenant-a", Self.bob: "tenant-b"]
            configuration.limits.maxOpenWaitsPerCaller = 2
        }) { api in
            let alice: HTTPClientHeaders = ["X-API-Key": Self.alice]
            let id = try await api.submit("nobody runs this", headers: alice)
            let other = try await api.submit("nor this", headers: alice)
            let bobID = try await api.submit("nor that", headers: ["X-API-Key": Self.bob])
            // Two event streams hold her two slots from the moment they answer (no worker: they stay open).
            var streams: [HTTPClientStreamingResponse] = []
            for _ in 0..<2 {
                let stream = try await api.http.stream(HTTPClientRequest(url: api.baseURL + "/v1/queries/\(id)/events", headers: alice, timeout: .seconds(30)))
                #expect(stream.status == 200)
                streams.append(stream)
            }
            let refused = try await api.send(.get, "/v1/queries/\(id)?wait=1", headers: alice)
            #expect(refused.status == 429)
            #expect(refused.json["error"]?["code"]?.stringValue == "rate_limited")
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: alice).status == 200, "a plain read holds nothing")
            #expect(try await api.send(.get, "/v1/queries/\(bobID)?wait=0.1", headers: ["X-API-Key": Self.bob]).status == 200)
            // Canceling the job ends both streams, which gives the slots back.
            #expect(try await api.send(.delete, "/v1/queries/\(id)", headers: alice).status == 200)
            for stream in streams {
                for try await _ in stream.body {}
            }
            try await eventually("the ended streams to give their slots back") {
                try await api.send(.get, "/v1/queries/\(other)?wait=0.05", headers: alice).status == 200
            }
        }
    }

    @Test("Connections that never finish their request headers are closed after the idle timeout, while others are served")
    func slowHeadersAreCut() async throws {
        try await withAPI(configure: { $0.limits.idleTimeout = .seconds(1) }) { api in
            let port = try #require(URLComponents(string: api.baseURL)?.port)
            let partial = Array("GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8)
            let held = (0..<20).map { _ in Task { try await RawHTTP.hold(port: port, sending: partial) } }
            // Served meanwhile.
            for _ in 0..<5 { #expect(try await api.send(.get, "/v1/stats").status == 200) }
            // Closed by the 1 s timeout set here: the default (30 s) and a client's patience are far
            // beyond the wait allowed; how soon after 1 s depends on the machine's load, so it is not timed.
            for task in held {
                let outcome = try await within(.seconds(15), "the server to close a connection with unfinished headers") {
                    try await task.value
                }
                #expect(outcome.after >= .milliseconds(900), "not before the timeout: \(outcome.after)")
            }
        }
    }

    @Test("A request the HTTP parser refuses gets a 400 with a JSON error body, then the connection closes", arguments: [
        "GARBAGE\r\n\r\n",
        "GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nA header without a colon\r\n\r\n",
        "POST /v1/queries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ])
    func parserErrorsHaveJSONBodies(request: String) async throws {
        try await withAPI { api in
            let port = try #require(URLComponents(string: api.baseURL)?.port)
            let answer = try RawHTTP.parse(try await RawHTTP.hold(port: port, sending: Array(request.utf8)).received, arrivals: [])
            #expect(answer.status == 400)
            #expect(answer.header("Content-Type") == "application/json")
            #expect(answer.header("Content-Length") == String(answer.body.count))
            let body = try JSONDecoder().decode(JSONValue.self, from: Data(answer.body))
            #expect(body["error"]?["code"] == .string("bad_request"))
            #expect(body["error"]?["message"]?.stringValue?.contains("HTTP") == true)
            // The API's own 400s keep their bodies: the rewrite touches only the parser's empty one.
            let own = try await api.send(.post, "/v1/queries", body: "{")
            #expect(own.status == 400)
            #expect(own.json["error"]?["message"]?.stringValue?.contains("HTTP/1.1") == false)
        }
    }

    @Test("Beyond API_MAX_CONNECTIONS a new connection waits, and is served once another closes")
    func connectionLimit() async throws {
        try await withAPI(configure: { $0.limits.maxConnections = 2 }) { api in
            let port = try #require(URLComponents(string: api.baseURL)?.port)
            let id = try await api.queue.store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: RAGQuery(query: "held").json)).id
            // Two event streams on a job no worker runs hold both connections.
            let held = try await OpenStreams.open(port: port, paths: Array(repeating: "/v1/queries/\(id)/events", count: 2))
            let answered = Mutex(false)
            let third = Task {
                defer { answered.withLock { $0 = true } }
                return try await RawHTTP.send(port: port, "GET", "/healthz")
            }
            // An absence has no event to wait for: a while in which a server without the limit answers.
            try await Task.sleep(for: .milliseconds(500))
            #expect(!answered.withLock { $0 }, "a third connection is not served while two are open")
            // Their clients leave. Keep-alives go out every 15 s: only the server noticing the
            // departures ends the streams within the 10 s allowed.
            held.close()
            let answer = try await within(.seconds(10), "the waiting connection to be served") { try await third.value }
            #expect(answer.status == 200)
        }
    }

    @Test("A client that leaves its event stream gives its open-wait slot back at once, not at the stream's next keep-alive")
    func departedStreamFreesSlot() async throws {
        try await withAPI(configure: { $0.limits.maxOpenWaitsPerCaller = 1 }) { api in
            let port = try #require(URLComponents(string: api.baseURL)?.port)
            let id = try await api.queue.store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: RAGQuery(query: "held").json)).id
            let stream = try await OpenStreams.open(port: port, paths: ["/v1/queries/\(id)/events"])
            #expect(try await api.send(.get, "/v1/queries/\(id)?wait=0.05").status == 429, "the stream holds the one slot")
            stream.close()
            try await eventually("the slot of the stream whose client left to be given back") {
                try await api.send(.get, "/v1/queries/\(id)?wait=0.05").status == 200
            }
        }
    }

    @Test("The rate limit refuses with 429 and Retry-After once the burst is spent")
    func rateLimit() async throws {
        try await withAPI(configure: {
            $0.apiKeys = [Self.alice: "tenant-a", Self.bob: "tenant-b"]
            // One token a minute: a loaded machine's stall between the requests refills none.
            $0.rateLimit.requestsPerMinute = 1
            $0.rateLimit.burst = 3
        }) { api in
            let headers: HTTPClientHeaders = ["Authorization": "Bearer \(Self.alice)"]
            for _ in 0..<3 {
                #expect(try await api.send(.get, "/v1/stats", headers: headers).status == 200)
            }
            let refused = try await api.send(.get, "/v1/stats", headers: headers)
            #expect(refused.status == 429)
            #expect(refused.json["error"]?["code"] == .string("rate_limited"))
            let retryAfter = try #require(refused.headers["Retry-After"].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            // Another key has a bucket of its own; health routes are never limited.
            #expect(try await api.send(.get, "/v1/stats", headers: ["X-API-Key": Self.bob]).status == 200)
            #expect(try await api.send(.get, "/healthz").status == 200)
        }
    }

    @Test("Two stores on one Valkey share a rate-limit bucket, as two API processes do")
    func sharedBucket() async throws {
        try await withQueue { queue in
            // One token a minute back: however slow the machine, the third take finds none.
            let limit = TokenBucket(capacity: 2, refillPerSecond: 1.0 / 60)
            let other = try queue.secondStore()
            defer { other.close() }
            #expect(try await queue.store.takeToken(from: "k", limit: limit).allowed)
            #expect(try await other.takeToken(from: "k", limit: limit).allowed)
            let refused = try await queue.store.takeToken(from: "k", limit: limit)
            #expect(!refused.allowed)
            #expect(refused.retryAfter > .zero && refused.retryAfter <= .seconds(60))
        }
    }
}
