import Foundation
import Testing

@testable import RAGQueue
@testable import RAGQueueAPI

/// What `/metrics` says, in Prometheus's naming: histograms in seconds, counters `_total` and typed as counters.
@Suite("API metrics")
struct APIMetricsTests {
    @Test("the queue's lifetime counters and failures by reason are counters; absent, not stale, when the queue does not answer")
    func queueCounters() {
        let metrics = APIMetrics()
        let stats = QueueStats(
            waiting: 1, active: 0, scheduled: 0, failed: 3, oldestWaitingSeconds: 0, liveWorkers: 1, expiredLeases: 0, waitingTenants: 0,
            endedPerSecond: 0, maxDepth: 0, allCounters: ["enqueued": 5, "failed": 3, "failed:timeout": 2, "failed:invalid_payload": 1]
        )
        metrics.update(from: stats)
        let text = metrics.render()
        #expect(text.contains("# TYPE ragqueue_queue_events_total counter\n"), "\(text)")
        #expect(text.contains(#"ragqueue_queue_events_total{event="enqueued"} 5"#))
        #expect(text.contains("# TYPE ragqueue_queue_failures_total counter\n"))
        #expect(text.contains(#"ragqueue_queue_failures_total{reason="timeout"} 2"#))
        #expect(text.contains(#"ragqueue_queue_failures_total{reason="invalid_payload"} 1"#))
        #expect(!text.contains("ragqueue_queue_events{"), "no gauge of a counter")

        metrics.markQueueUnavailable()
        let down = metrics.render()
        #expect(down.contains("ragqueue_queue_up 0"))
        #expect(!down.contains("ragqueue_queue_failures_total"), "\(down)")
    }

    @Test("each request lands in the duration histogram of its route, method and status, in seconds")
    func requestHistogram() {
        let metrics = APIMetrics()
        metrics.recordRequest(route: "/v1/queries", method: "POST", status: 202, duration: .milliseconds(3))
        let text = metrics.render()
        let labels = #"route="/v1/queries",method="POST",status="202""#
        #expect(text.contains("# TYPE ragqueue_api_request_duration_seconds histogram"), "\(text)")
        #expect(text.contains("ragqueue_api_request_duration_seconds_bucket{\(labels),le=\"0.0025\"} 0"), "\(text)")
        #expect(text.contains("ragqueue_api_request_duration_seconds_bucket{\(labels),le=\"0.005\"} 1"))
        #expect(text.contains("ragqueue_api_request_duration_seconds_count{\(labels)} 1"))
        #expect(text.contains("ragqueue_api_requests_total{\(labels)} 1"))
    }

    @Test("requests of one series add up in it; a method outside the standard ones is counted as `other`")
    func requestSeries() {
        let metrics = APIMetrics()
        for _ in 0..<3 { metrics.recordRequest(route: "/v1/queries/{id}", method: "GET", status: 200, duration: .milliseconds(1)) }
        metrics.recordRequest(route: "/v1/queries/{id}", method: "GET", status: 404, duration: .milliseconds(1))
        metrics.recordRequest(route: "unmatched", method: "BREW", status: 404, duration: .milliseconds(1))
        metrics.recordRequest(route: "unmatched", method: "XYZZY", status: 404, duration: .milliseconds(1))
        let text = metrics.render()
        #expect(text.contains(#"ragqueue_api_requests_total{route="/v1/queries/{id}",method="GET",status="200"} 3"#), "\(text)")
        #expect(text.contains(#"ragqueue_api_requests_total{route="/v1/queries/{id}",method="GET",status="404"} 1"#))
        #expect(text.contains(#"ragqueue_api_requests_total{route="unmatched",method="other",status="404"} 2"#))
        #expect(!text.contains("BREW"))
    }

    @Test("label values read from the queue are escaped")
    func escaping() {
        let family = ReadCounters((name: "x_total", help: "h"), [([("tenant", "a\"b\\c\nd")], 1)])
        #expect(family.exposition == "# HELP x_total h\n# TYPE x_total counter\nx_total{tenant=\"a\\\"b\\\\c\\nd\"} 1\n")
    }
}
