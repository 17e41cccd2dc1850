import Foundation
import Prometheus
import Testing

@testable import RAGQueue
import RAGQueueAPI

/// What a worker measures (`WorkerMetrics`), as Prometheus shows it on the worker's `/metrics`.
@Suite("worker metrics")
struct WorkerMetricsTests {
    /// Fails every attempt with a code of its own; transient, so the queue retries it while attempts remain.
    struct FlakyHandler: JobHandler {
        let kind = "flaky"
        func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
            throw JobFailure(code: "flaky_backend", message: "it failed", transient: true)
        }
    }

    @Test("jobs that end are counted in the duration histogram by outcome; failed attempts by reason, retried or final", arguments: [StoreKind.memory, .valkey])
    func countsJobs(kind: StoreKind) async throws {
        try await withStore(kind, configure: { $0.maxAttempts = 2; $0.retry.initialBackoff = .milliseconds(1); $0.retry.maximumBackoff = .milliseconds(1) }) { harness in
            let server = WorkerMetricsServer(registry: PrometheusCollectorRegistry())
            let worker = Worker(
                store: harness.store, queue: harness.configuration, handlers: [NoopJobHandler(), FlakyHandler()],
                metrics: WorkerMetrics(factory: server.factory), logger: testLogger("metrics-worker")
            )
            let running = Task { try await worker.run() }
            let done = try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let failing = try await harness.store.enqueue(EnqueueRequest(kind: "flaky", payload: [])).id
            #expect(try await waitForEnd(done, store: harness.store).status == .finished)
            #expect(try await waitForEnd(failing, store: harness.store).status == .failed)
            // The worker records an end right after its write, which the test may see first.
            var text = ""
            try await eventually("both ends in the histogram") {
                text = server.registry.emitToString()
                return text.contains(#"ragqueue_job_duration_seconds_count{outcome="failed"} 1"#)
                    && text.contains(#"ragqueue_job_duration_seconds_count{outcome="succeeded"} 1"#)
            }
            worker.stop()
            try await running.value
            #expect(text.contains(#"ragqueue_job_attempt_failures_total{reason="flaky_backend",outcome="retried"} 1"#), "\(text)")
            #expect(text.contains(#"ragqueue_job_attempt_failures_total{reason="flaky_backend",outcome="failed"} 1"#), "\(text)")
            #expect(text.contains("ragqueue_job_queue_wait_seconds_count 3"), "three claims: \(text)")
        }
    }

    @Test("a worker woken by new work waits its claim linger, and jobs that arrive meanwhile come in one claim", .timeLimit(.minutes(2)), arguments: [StoreKind.memory, .valkey])
    func claimLinger(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let server = WorkerMetricsServer(registry: PrometheusCollectorRegistry())
            var configuration = Worker.Configuration()
            // Long against the three enqueues below (a millisecond each), so that they fall within
            // one linger even on a loaded machine (1 s was not always enough there).
            configuration.claimLinger = .seconds(5)
            let worker = Worker(
                store: harness.store, queue: harness.configuration, handlers: [NoopJobHandler()], configuration: configuration,
                metrics: WorkerMetrics(factory: server.factory), logger: testLogger("linger-worker")
            )
            let running = Task { try await worker.run() }
            // One job first: once it has ended, the worker has claimed it and waits for more work.
            let first = try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            #expect(try await waitForEnd(first, store: harness.store).status == .finished)
            // Three at once: the first wakes the worker, the others arrive within its linger.
            var ids: [JobID] = []
            for _ in 0..<3 { ids.append(try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id) }
            for id in ids { #expect(try await waitForEnd(id, store: harness.store).status == .finished) }
            var text = ""
            try await eventually("all four claimed jobs measured") {
                text = server.registry.emitToString()
                return text.contains("ragqueue_job_queue_wait_seconds_count 4")
            }
            worker.stop()
            try await running.value
            #expect(text.contains("ragqueue_worker_claims_total 2"), "the first job's claim and one for the three: \(text)")
        }
    }
}
