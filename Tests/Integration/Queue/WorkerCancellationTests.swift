import Foundation
import Testing

@testable import RAGQueue

/// A worker whose task is cancelled (a sibling service in its process failed) stops instead of
/// claiming on, and hands its running jobs back at once.
@Suite("worker cancellation")
struct WorkerCancellationTests {
    @Test("cancelling a worker's task stops it and hands its running job back", .timeLimit(.minutes(1)), arguments: [StoreKind.memory, .valkey])
    func cancelled(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let worker = Worker(
                store: harness.store, queue: harness.configuration, handlers: [SleepJobHandler()],
                configuration: { var c = Worker.Configuration(); c.shutdownGrace = .seconds(600); return c }(),
                logger: testLogger("cancelled-worker")
            )
            let running = Task { try await worker.run() }
            let id = try await harness.store.enqueue(EnqueueRequest(kind: "sleep", payload: Array("600000".utf8))).id
            try await eventually("the job to run") { try await harness.store.job(id)?.status == .started }
            running.cancel()
            try await running.value
            #expect(worker.runningJobs == 0)
            let record = try #require(try await harness.store.job(id))
            #expect(record.status == .queued, "handed back, not held for the 600 s grace")
        }
    }
}
