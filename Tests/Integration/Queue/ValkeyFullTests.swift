import Foundation
import RAGQueueTestSupport
import Testing
import Valkey
@testable import RAGQueue
@testable import RAGQueueAPI

/// A Valkey that reached `maxmemory` (with `noeviction`, as the README asks) refuses writes: what
/// the queue makes of that, seen through the API. Here, with the queue's tests, since it sets
/// Valkey's memory limit itself.
@Suite("Queue on a full Valkey, through the API", .timeLimit(.minutes(2)))
struct ValkeyFullTests {
    @Test("A Valkey at maxmemory refuses submits with 503 and Retry-After; every query accepted before is kept, and submits work again once there is room")
    func maxmemory() async throws {
        try await withAPI(configure: { $0.rateLimit.requestsPerMinute = 0 }) { api in
            let valkey = try ValkeyClient(url: api.queue.server.url)
            defer { valkey.close() }
            // One submit first: the scripts and connections it brings are not what fills Valkey.
            let first = try #require(try await api.send(.post, "/v1/queries", body: #"{"query":"first"}"#).json["id"]?.stringValue.flatMap(JobID.init))
            let info = try await valkey.send("INFO", "memory").string ?? ""
            let used = try #require(ValkeyJobStore.infoField("used_memory", in: info).flatMap { Int($0) })
            _ = try await valkey.send("CONFIG", "SET", "maxmemory-policy", "noeviction")
            _ = try await valkey.send("CONFIG", "SET", "maxmemory", String(used + 1_000_000))

            let padding = String(repeating: "x", count: 2000)
            var accepted: [JobID] = [first]
            var refusal: HTTPClientResponse?
            for number in 0..<5000 {
                let response = try await api.send(.post, "/v1/queries", body: #"{"query":"question \#(number) \#(padding)"}"#)
                guard response.status == 202, let id = response.json["id"]?.stringValue.flatMap(JobID.init) else {
                    refusal = response
                    break
                }
                accepted.append(id)
            }
            let refused = try #require(refusal, "1 MB of jobs never filled Valkey")
            #expect(refused.status == 503)
            #expect(refused.headers["Retry-After"] == "5")
            #expect(refused.json["error"]?["code"] == .string("backend_unavailable"))
            #expect(refused.json["error"]?["message"]?.stringValue?.contains("maxmemory") == true)
            #expect(accepted.count > 10, "jobs were accepted before Valkey filled up")
            for id in accepted {
                #expect(try await api.queue.store.job(id)?.status == .queued, "an accepted job is kept")
            }
            #expect(try await api.queue.store.stats().waiting == accepted.count, "nothing half-written by the refused submit")

            _ = try await valkey.send("CONFIG", "SET", "maxmemory", "0")
            #expect(try await api.send(.post, "/v1/queries", body: #"{"query":"room again"}"#).status == 202)
        }
    }
}
