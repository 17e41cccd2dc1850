import Foundation
import Testing
@testable import RAGQueue
import RAGQueueTestSupport
@testable import RAGQueueAPI

/// Health, readiness, metrics, stats and the OpenAPI document.
@Suite("API operations", .timeLimit(.minutes(2)))
struct APIOperationsTests {
    @Test("healthz and readyz are 200 while Valkey answers; readyz is 503 once it is gone")
    func readiness() async throws {
        try await withAPI { api in
            #expect(try await api.send(.get, "/healthz").status == 200)
            #expect(try await api.send(.get, "/readyz").status == 200)
            await api.queue.server.stop()
            let start = ContinuousClock.now
            let ready = try await api.send(.get, "/readyz")
            #expect(ready.status == 503)
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(try await api.send(.get, "/healthz").status == 200)
        }
    }

    @Test("a Valkey restarted without its data makes readyz 503 valkey_data_lost and the gauge 1; one restarted from its append-only file does not", arguments: [false, true])
    func dataLoss(appendOnly: Bool) async throws {
        try await withAPI(appendOnly: appendOnly) { api in
            let id = try await api.submit("accepted before the restart")
            #expect(try await api.send(.get, "/readyz").status == 200)
            await api.queue.server.stop()
            try await api.queue.server.start()
            // The store reconnects on its own; until then readyz says the backend does not answer.
            var ready = try await api.send(.get, "/readyz")
            try await eventually("the store to reconnect") {
                ready = try await api.send(.get, "/readyz")
                return ready.json["error"]?["code"]?.stringValue != "backend_unavailable"
            }
            let metrics = try await api.send(.get, "/metrics").text
            if appendOnly {
                #expect(ready.status == 200)
                #expect(try await api.send(.get, "/v1/queries/\(id)").status == 200)
                #expect(metrics.contains("ragqueue_valkey_data_lost 0"), "\(metrics)")
            } else {
                #expect(ready.status == 503)
                #expect(ready.json["error"]?["code"]?.stringValue == "valkey_data_lost")
                #expect(try await api.send(.get, "/v1/queries/\(id)").status == 404, "the accepted job is gone, which is why readyz says so")
                #expect(metrics.contains("ragqueue_valkey_data_lost 1"), "\(metrics)")
                // It stays reported: new jobs do not make the loss go away.
                _ = try await api.submit("after the restart")
                #expect(try await api.send(.get, "/readyz").status == 503)
            }
        }
    }

    @Test("metrics count requests by route template and show the queue depth")
    func metrics() async throws {
        try await withAPI { api in
            let id = try await api.submit("count me")
            _ = try await api.send(.get, "/v1/queries/\(id)")
            _ = try await api.send(.get, "/v1/queries/\(JobID())")
            let text = try await api.send(.get, "/metrics").text
            #expect(text.contains(#"ragqueue_api_requests_total{route="/v1/queries",method="POST",status="202"} 1"#), "\(text)")
            #expect(text.contains(#"ragqueue_api_requests_total{route="/v1/queries/{id}",method="GET",status="200"} 1"#))
            #expect(text.contains(#"ragqueue_api_requests_total{route="/v1/queries/{id}",method="GET",status="404"} 1"#))
            #expect(!text.contains(id))
            #expect(text.contains(#"ragqueue_queue_jobs{state="waiting"} 1"#))
            #expect(text.contains("ragqueue_api_jobs_enqueued_total 1"))
        }
    }

    @Test("stats show the queue; the OpenAPI document is served")
    func statsAndSpec() async throws {
        try await withAPI { api in
            _ = try await api.submit("one")
            let stats = try await api.send(.get, "/v1/stats")
            #expect(stats.status == 200)
            #expect(stats.json["waiting"] == .integer(1))
            let spec = try await api.send(.get, "/openapi.yaml")
            #expect(spec.status == 200)
            #expect(spec.text.hasPrefix("openapi: 3.1.0"))
        }
    }
}
