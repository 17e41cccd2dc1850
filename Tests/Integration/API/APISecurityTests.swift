import Foundation
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

    @Test("The rate limit refuses with 429 and Retry-After once the burst is spent")
    func rateLimit() async throws {
        try await withAPI(configure: {
            $0.apiKeys = [Self.alice: "tenant-a", Self.bob: "tenant-b"]
            $0.rateLimit.requestsPerMinute = 6
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
            #expect((1...10).contains(retryAfter))
            // Another key has a bucket of its own; health routes are never limited.
            #expect(try await api.send(.get, "/v1/stats", headers: ["X-API-Key": Self.bob]).status == 200)
            #expect(try await api.send(.get, "/healthz").status == 200)
        }
    }

    @Test("Two stores on one Valkey share a rate-limit bucket, as two API processes do")
    func sharedBucket() async throws {
        try await withQueue { queue in
            let limit = TokenBucket(capacity: 2, refillPerSecond: 1)
            let other = try queue.secondStore()
            defer { other.close() }
            #expect(try await queue.store.takeToken(from: "k", limit: limit).allowed)
            #expect(try await other.takeToken(from: "k", limit: limit).allowed)
            let refused = try await queue.store.takeToken(from: "k", limit: limit)
            #expect(!refused.allowed)
            #expect(refused.retryAfter > .zero && refused.retryAfter <= .seconds(1))
        }
    }
}
