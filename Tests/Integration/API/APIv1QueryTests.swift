import Foundation
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// `/v1/queries`: submit, long-poll, cancel, idempotency, limits and errors.
@Suite("API v1 queries", .timeLimit(.minutes(2)))
struct APIv1QueryTests {
    @Test("Submit answers 202 at once; a long poll returns the answer when the job ends")
    func submitAndLongPoll() async throws {
        try await withAPI(worker: true, holdMilliseconds: 300) { api in
            let response = try await api.send(
                .post, "/v1/queries", headers: ["X-Request-Id": "req-123"],
                body: #"{"query":"What is a lease?","top_k":3,"collection":"docs","filter":{"metadata.source":"a.pdf"}}"#
            )
            #expect(response.status == 202)
            #expect(response.headers["X-Request-Id"] == "req-123")
            let id = try #require(response.json["id"]?.stringValue)
            #expect(response.json["status"] == .string("queued"))
            #expect(response.headers["Location"] == "/v1/queries/\(id)")
            #expect(response.json["links"]?["events"] == .string("/v1/queries/\(id)/events"))

            let polled = try await api.send(.get, "/v1/queries/\(id)?wait=20")
            #expect(polled.status == 200)
            let query = polled.json
            #expect(query["status"] == .string("finished"))
            #expect(query["result"]?["answer"] == .string(CannedRAGHandler.answer(to: "What is a lease?")))
            #expect(query["query"] == .string("What is a lease?"))
            #expect(query["top_k"] == .integer(3))
            #expect(query["collection"] == .string("docs"))
            #expect(query["attempts"] == .integer(1))
            #expect(query["request_id"] == .string("req-123"))
            #expect(query["ended_at"]?.stringValue != nil)
            #expect(query["started_at"]?.stringValue != nil)

            let jobID = try #require(JobID(id))
            let record = try #require(try await api.queue.store.job(jobID))
            #expect(record.requestID == "req-123")
            let payload = try RAGQuery(json: record.payload)
            #expect(payload.filter == ["metadata.source": .string("a.pdf")])
            #expect(payload.topK == 3)
        }
    }

    @Test("With the answer cache on, the same question again is 202 finished at once and reads as cached, naming the job that answered")
    func cachedAnswer() async throws {
        let policy = AnswerCachePolicy(ttl: .seconds(60), chatModel: "test-model", promptVersion: "1")
        try await withAPI(worker: true, answerCache: policy) { api in
            let first = try await api.submit("What is a lease?")
            #expect(try await api.send(.get, "/v1/queries/\(first)?wait=20").json["status"] == .string("finished"))

            let again = try await api.send(.post, "/v1/queries", body: #"{"query":"what is  a LEASE?"}"#)
            #expect(again.status == 202)
            #expect(again.json["status"] == .string("finished"))
            #expect(again.json["cached"] == .bool(true))
            #expect(again.json["result"]?["answer"] == .string(CannedRAGHandler.answer(to: "What is a lease?")), "the 202 carries the answer")
            #expect(again.json["links"]?["self"] != nil)
            let id = try #require(again.json["id"]?.stringValue)
            #expect(id != first)
            let read = try await api.send(.get, "/v1/queries/\(id)").json
            #expect(read["cached"] == .bool(true))
            #expect(read["cached_from"] == .string(first))
            #expect(read["result"]?["answer"] == .string(CannedRAGHandler.answer(to: "What is a lease?")))
            #expect(read["attempts"] == .integer(0))

            let fresh = try await api.send(.post, "/v1/queries", body: #"{"query":"What is a lease?","cache":false}"#)
            #expect(fresh.json["status"] == .string("queued"), "cache: false runs the query again")
            let stats = try await api.send(.get, "/v1/stats").json
            #expect(stats["counters"]?["cache_hits"] == .integer(1))
            let metrics = try await api.send(.get, "/metrics").text
            #expect(metrics.contains(#"ragqueue_queue_events_total{event="cache_hits"} 1"#), "\(metrics)")
        }
    }

    @Test("A tenant with the answer cache off is never answered from it, and its answers are not stored for it; others are")
    func tenantCacheOff() async throws {
        let policy = AnswerCachePolicy(ttl: .seconds(60), chatModel: "test-model", promptVersion: "1")
        try await withAPI(worker: true, answerCache: policy, configure: { configuration in
            configuration.apiKeys = [APISecurityTests.alice: "tenant-a", APISecurityTests.bob: "tenant-b"]
            try? configuration.applyTenantList("tenant-a=off", setting: "cache", variable: "API_TENANT_ANSWER_CACHE")
        }) { api in
            for (key, cachedSecondTime) in [(APISecurityTests.alice, false), (APISecurityTests.bob, true)] {
                let headers: HTTPClientHeaders = ["X-API-Key": key]
                let first = try await api.submit("What is a lease?", headers: headers)
                #expect(try await api.send(.get, "/v1/queries/\(first)?wait=20", headers: headers).json["status"] == .string("finished"))
                let again = try await api.send(.post, "/v1/queries", headers: headers, body: #"{"query":"What is a lease?"}"#)
                #expect((again.json["status"] == .string("finished")) == cachedSecondTime, "\(key): \(again.text)")
            }
        }
    }

    @Test("A long poll on a job nobody runs holds for the wait, then returns it still queued")
    func longPollTimesOut() async throws {
        try await withAPI { api in
            let id = try await api.submit("nobody answers")
            let start = ContinuousClock.now
            let polled = try await api.send(.get, "/v1/queries/\(id)?wait=1")
            let elapsed = ContinuousClock.now - start
            #expect(polled.status == 200)
            #expect(polled.json["status"] == .string("queued"))
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(10))

            let bad = try await api.send(.get, "/v1/queries/\(id)?wait=soon")
            #expect(bad.status == 422)
        }
    }

    @Test("Cancel ends a waiting query; cancelling an ended one is 409")
    func cancel() async throws {
        try await withAPI { api in
            let id = try await api.submit("cancel me")
            let canceled = try await api.send(.delete, "/v1/queries/\(id)")
            #expect(canceled.status == 200)
            #expect(canceled.json["outcome"] == .string("canceled"))
            let read = try await api.send(.get, "/v1/queries/\(id)")
            #expect(read.json["status"] == .string("canceled"))
            // A wait far beyond the maximum is clamped, not overflowed (found by fuzzing).
            let clamped = try await api.send(.get, "/v1/queries/\(id)?wait=3.4e38")
            #expect(clamped.status == 200)
            let again = try await api.send(.delete, "/v1/queries/\(id)")
            #expect(again.status == 409)
            #expect(again.json["error"]?["code"] == .string("conflict"))
        }
    }

    @Test("The same Idempotency-Key returns the first query")
    func idempotency() async throws {
        try await withAPI { api in
            let first = try await api.send(.post, "/v1/queries", headers: ["Idempotency-Key": "order-42"], body: #"{"query":"once"}"#)
            let second = try await api.send(.post, "/v1/queries", headers: ["Idempotency-Key": "order-42"], body: #"{"query":"once"}"#)
            let other = try await api.send(.post, "/v1/queries", headers: ["Idempotency-Key": "order-43"], body: #"{"query":"once"}"#)
            #expect(first.status == 202)
            #expect(second.status == 202)
            #expect(first.json["id"] != nil)
            #expect(first.json["id"] == second.json["id"])
            #expect(second.headers["Idempotent-Replayed"] == "true")
            #expect(other.json["id"] != first.json["id"])
            let stats = try await api.queue.store.stats()
            #expect(stats.waiting == 2)
        }
    }

    @Test("A full queue is 503 with Retry-After")
    func queueFull() async throws {
        try await withAPI(configureQueue: { $0.maxDepth = 1 }) { api in
            _ = try await api.submit("first")
            let refused = try await api.send(.post, "/v1/queries", body: #"{"query":"second"}"#)
            #expect(refused.status == 503)
            #expect(refused.headers["Retry-After"] != nil)
            #expect(refused.json["error"]?["code"] == .string("queue_full"))
        }
    }

    @Test("Bad input gets 400, 404, 413, 415 or 422 with a JSON error, never a 500")
    func badInput() async throws {
        try await withAPI(configure: { $0.limits.maxBodyBytes = 2048 }) { api in
            let cases: [(String, String?, String?, Int)] = [
                ("malformed JSON", #"{"query":"#, "application/json", 400),
                ("not an object", #"["query"]"#, "application/json", 422),
                ("missing query", #"{"top_k":3}"#, "application/json", 422),
                ("blank query", #"{"query":"   "}"#, "application/json", 422),
                ("query too long", #"{"query":"\#(String(repeating: "a", count: 4001))"}"#, "application/json", 413),
                ("top_k too small", #"{"query":"q","top_k":0}"#, "application/json", 422),
                ("top_k too large", #"{"query":"q","top_k":21}"#, "application/json", 422),
                ("top_k not a number", #"{"query":"q","top_k":"five"}"#, "application/json", 422),
                ("nested filter", #"{"query":"q","filter":{"a":{"b":1}}}"#, "application/json", 422),
                ("unknown field", #"{"query":"q","colection":"typo"}"#, "application/json", 422),
                ("fractional top_k", #"{"query":"q","top_k":4.5}"#, "application/json", 422),
                ("callback not allowed", #"{"query":"q","callback_url":"http://169.254.169.254/latest"}"#, "application/json", 422),
                ("callback not http", #"{"query":"q","callback_url":"file:///etc/passwd"}"#, "application/json", 422),
                ("text body", "query=q", "text/plain", 415),
                ("no content type", #"{"query":"q"}"#, nil, 415),
                ("too large", #"{"query":"\#(String(repeating: "b", count: 3000))"}"#, "application/json", 413),
            ]
            for (name, body, contentType, expected) in cases {
                let response = try await api.send(.post, "/v1/queries", body: body, contentType: contentType)
                #expect(response.status == expected, "\(name): \(response.status) \(response.text)")
                #expect(response.json["error"]?["code"]?.stringValue != nil, "\(name): \(response.text)")
            }
            let long = try await withAPI { inner in
                try await inner.send(.post, "/v1/queries", body: #"{"query":"\#(String(repeating: "a", count: 4001))"}"#)
            }
            #expect(long.status == 422)
            for path in ["/v1/queries/\(JobID())", "/v1/queries/short", "/v1/queries/\(JobID())/events", "/nowhere"] {
                let response = try await api.send(.get, path)
                #expect(response.status == 404, "\(path)")
                #expect(response.json["error"]?["code"] == .string("not_found"))
            }
            let unknownDelete = try await api.send(.delete, "/v1/queries/\(JobID())")
            #expect(unknownDelete.status == 404)
        }
    }

    @Test("A routed path asked with another method is 405 with Allow; an unknown path stays 404")
    func wrongMethod() async throws {
        try await withAPI { api in
            let id = JobID().rawValue
            let cases: [(HTTPClientRequest.Method, String, String)] = [
                (.put, "/v1/queries", "POST"),
                (.post, "/v1/stats", "GET"),
                (.get, "/chat", "POST"),
                (.patch, "/v1/queries/\(id)", "DELETE, GET"),
                (.delete, "/v1/queries/\(id)/events", "GET"),
                (.post, "/", "GET"),
            ]
            for (method, path, allowed) in cases {
                let response = try await api.send(method, path, body: method == .get ? nil : "{}")
                #expect(response.status == 405, "\(method) \(path): \(response.status) \(response.text)")
                #expect(response.headers["Allow"] == allowed, "\(method) \(path)")
                #expect(response.headers["Content-Type"] == "application/json")
                #expect(response.json["error"]?["code"] == .string("method_not_allowed"), "\(method) \(path): \(response.text)")
                #expect(response.json["error"]?["message"]?.stringValue?.isEmpty == false)
            }
            for (method, path) in [(HTTPClientRequest.Method.put, "/v1/nowhere"), (.post, "/v1/queries/\(id)/other"), (.get, "/chat/more")] {
                let response = try await api.send(method, path)
                #expect(response.status == 404, "\(method) \(path): \(response.status)")
                #expect(response.headers["Allow"] == nil)
                #expect(response.json["error"]?["code"] == .string("not_found"))
            }
            let metrics = try await api.send(.get, "/metrics").text
            #expect(metrics.contains(#"ragqueue_api_requests_total{route="/v1/stats",method="POST",status="405"} 1"#), "\(metrics)")
        }
    }
}
