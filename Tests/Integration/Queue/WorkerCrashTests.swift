import Foundation
import Testing
@testable import RAGQueue
import RAGQueueTestSupport

@Suite("Worker processes that die")
struct WorkerCrashTests {
    @Test("a worker killed with SIGKILL mid-job: another takes it over by the heartbeat, long before its 60 s lease, finishes it once, and the late write is refused")
    func sigkillMidJob() async throws {
        try await withQueue(configure: { $0.lease = .seconds(60) }) { harness in
            let arguments = [
                "queue-worker", "--valkey-url", harness.server.url, "--prefix", harness.configuration.prefix,
                "--concurrency", "1", "--lease-ms", "60000",
            ]
            // Two idle workers first, so that neither process start-up nor registration can delay
            // the kill until the job has finished.
            let workers = (0..<2).map { _ in ChildProcess(executable: builtProduct("ragsim"), arguments: arguments) }
            for worker in workers { try worker.start() }
            do {
                try await killHolderAndRecover(workers: workers, harness: harness)
            } catch {
                for worker in workers { await worker.stop() }
                throw error
            }
            for worker in workers { await worker.stop() }
        }
    }

    /// The body of `sigkillMidJob`, with both worker processes running.
    private func killHolderAndRecover(workers: [ChildProcess], harness: QueueHarness) async throws {
        let store = harness.store
        try await eventually(timeout: .seconds(30), "both worker processes to start and register") { try await store.stats().liveWorkers == 2 }

        let id = try await store.enqueue(EnqueueRequest(kind: "sleep", payload: Array("1500".utf8))).id
        let statusChanges = store.events(for: id)
        // Subscribed after enqueueing: the start may already have happened, and a `.resync` says
        // events may have been missed: both are answered by reading the record.
        if try await store.job(id)?.status != .started {
            try await within(.seconds(10), "the job to start") {
                for await event in statusChanges where event == .status(.started) || event == .resync {
                    if try await store.job(id)?.status == .started { break }
                }
            }
        }
        let started = try #require(try await store.job(id))
        #expect(started.status == .started)
        // Worker ids carry their process id: kill the process holding the job.
        let holder = try #require(workers.first { worker in
            worker.pid.map { started.workerID?.contains("-\($0)-") == true } ?? false
        })
        let killedLease = JobLease(id: id, token: started.token)
        await holder.stop(with: SIGKILL)

        // The next attempt's start (the stream may still hold the first one's event). Waiting
        // 20 s at most, a third of the lease: only the dead worker's lapsed heartbeat brings it.
        // Any status change may be the one: under load the next attempt may even have ended
        // before its record is read.
        try await within(.seconds(20), "the job to be taken over after its worker died") {
            for await event in statusChanges {
                if let record = try await store.job(id), record.crashes == 1, record.status != .queued { break }
                _ = event
            }
        }
        let restarted = try #require(try await store.job(id))
        #expect(restarted.attempts == 1, "the dead worker's attempt does not count")
        #expect(restarted.error?.code == "worker_crashed")

        let record = try await waitForEnd(id, harness: harness)
        #expect(record.status == .finished)
        #expect(record.attempts == 1)
        #expect(record.crashes == 1)
        #expect(record.token > killedLease.token)
        #expect(record.result == Array("slept 1500".utf8))
        await #expect(throws: QueueError.staleToken(id)) {
            try await store.complete(killedLease, result: Array("late".utf8), timings: [:])
        }
        #expect(try await store.job(id)?.result == Array("slept 1500".utf8))
        #expect(try await store.job(id)?.endCount == 1, "exactly one final write")
        let counters = try await store.stats().counters
        #expect(counters["finished"] == 1, "exactly one result")
        #expect(counters["refused"] == 1, "the late write is counted as refused")
    }

    @Test("SIGTERM while Valkey is down: the worker process stops well within its grace instead of waiting on Valkey")
    func sigtermWhileValkeyIsDown() async throws {
        try await withQueue { harness in
            let worker = ChildProcess(executable: builtProduct("ragsim"), arguments: [
                "queue-worker", "--valkey-url", harness.server.url, "--prefix", harness.configuration.prefix, "--concurrency", "2",
            ])
            try worker.start()
            do {
                try await eventually(timeout: .seconds(30), "the worker process to start and register") { try await harness.store.stats().liveWorkers == 1 }
                await harness.server.kill()
                worker.send(SIGTERM)
                // Its calls to the missing Valkey give up after a second each (`Worker.storeWait`);
                // before, each waited 10 s (its last, removing its announcement, alone beyond this
                // bound) and the worker took up to 30 s to stop.
                let status = try await within(.seconds(8), "the worker to exit on SIGTERM") { await worker.waitForExit() }
                #expect(status == 0)
            } catch {
                await worker.stop(with: SIGKILL)
                throw error
            }
        }
    }

    @Test("SIGTERM hands unfinished jobs back; none is lost")
    func gracefulShutdown() async throws {
        try await withQueue(configure: { $0.lease = .seconds(5) }) { harness in
            let store = harness.store
            var configuration = Worker.Configuration()
            configuration.concurrency = 4
            configuration.shutdownGrace = .milliseconds(200)
            let worker = Worker(store: store, queue: harness.configuration, handlers: [SleepJobHandler()], configuration: configuration, logger: testLogger("shutdown"))
            var ids: [JobID] = []
            for _ in 0..<4 { ids.append(try await store.enqueue(EnqueueRequest(kind: "sleep", payload: Array("60000".utf8))).id) }
            let running = Task { try await worker.run() }
            try await eventually("four jobs to start") { try await store.stats().active == 4 }
            worker.stop()
            try await running.value
            let stats = try await store.stats()
            #expect(stats.active == 0)
            #expect(stats.waiting == 4, "every unfinished job is back in the queue")
            for id in ids {
                let record = try #require(try await store.job(id))
                #expect(record.status == .queued)
                #expect(record.attempts == 0, "a handed-back attempt does not count")
            }
        }
    }

    @Test("a running job is told to stop when canceled, and ends canceled")
    func cancelRunning() async throws {
        // A lease long enough that a loaded machine cannot let it lapse (and the job be handed back
        // to the queue) between seeing it start and canceling it; the worker learns of the cancel
        // from the event at once, or at its next renewal.
        try await withQueue(configure: { $0.lease = .seconds(3) }) { harness in
            let store = harness.store
            let worker = Worker(store: store, queue: harness.configuration, handlers: [SleepJobHandler()], logger: testLogger("cancel"))
            let id = try await store.enqueue(EnqueueRequest(kind: "sleep", payload: Array("60000".utf8))).id
            let running = Task { try await worker.run() }
            try await eventually("the job to start") { try await store.job(id)?.status == .started }
            #expect(try await store.cancel(id) == .requested)
            let record = try await waitForEnd(id, harness: harness, timeout: .seconds(10))
            #expect(record.status == .canceled)
            worker.stop()
            try await running.value
        }
    }
}
