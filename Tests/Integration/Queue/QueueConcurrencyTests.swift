import Foundation
import Synchronization
import Testing
import Valkey
@testable import RAGQueue
import RAGQueueTestSupport

@Suite("Queue under concurrency and restarts")
struct QueueConcurrencyTests {
    @Test("1,000 jobs enqueued from several connections at once are each claimed exactly once")
    func exactlyOnceClaims() async throws {
        try await withQueue(configure: { $0.maxDepth = 0 }) { harness in
            let producers = try (0..<4).map { _ in try harness.secondStore() }
            let consumers = try (0..<4).map { _ in try harness.secondStore() }
            defer { for store in producers + consumers { store.close() } }

            let enqueued = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for (index, store) in producers.enumerated() {
                    group.addTask {
                        var ids: [JobID] = []
                        for _ in 0..<250 {
                            ids.append(try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("p\(index)".utf8))).id)
                        }
                        return ids
                    }
                }
                return try await group.reduce(into: [JobID]()) { $0 += $1 }
            }
            #expect(Set(enqueued).count == 1000)

            // Four claimers race for the jobs while producers are done; each claim is atomic.
            let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for (index, store) in consumers.enumerated() {
                    group.addTask {
                        var ids: [JobID] = []
                        while true {
                            let batch = try await store.claim(workerID: "c\(index)", count: 7)
                            if batch.jobs.isEmpty { return ids }
                            for job in batch.jobs {
                                ids.append(job.id)
                                try await store.complete(job.lease, result: [], timings: [:])
                            }
                        }
                    }
                }
                return try await group.reduce(into: [JobID]()) { $0 += $1 }
            }
            #expect(claimed.count == 1000, "no job claimed twice")
            #expect(Set(claimed) == Set(enqueued), "every job claimed")
            let stats = try await harness.store.stats()
            #expect(stats.counters["finished"] == 1000)
            #expect(stats.waiting == 0 && stats.active == 0)
        }
    }

    @Test("a connection the server closed while it sat idle is replaced before a command goes out on it")
    func idleConnectionClosedByServer() async throws {
        try await withQueue { harness in
            // The pooled connections open, then idle.
            for _ in 0..<4 { _ = try await harness.client.send("PING") }
            let killer = try ValkeyClient(url: harness.server.url)
            defer { killer.close() }
            let killed = try await killer.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").int ?? 0
            #expect(killed >= 1, "the harness's idle connections were closed by the server")
            // Sent on a closed connection, a write's outcome would be unknown and it would fail.
            for number in 0..<4 {
                #expect(try await harness.client.send("SET", "idle-\(number)", "v").string == "OK")
            }
        }
    }

    @Test("Valkey restarted mid-run: clients reconnect on their own and no enqueued job is lost")
    func valkeyRestart() async throws {
        try await withQueue(appendOnly: true, configure: { $0.maxDepth = 0; $0.lease = .seconds(2) }) { harness in
            let store = harness.store
            var ids: [JobID] = []
            for _ in 0..<200 { ids.append(try await store.enqueue(EnqueueRequest(kind: "sleep", payload: Array("5".utf8))).id) }

            let worker = Worker(
                store: store, queue: harness.configuration, handlers: [SleepJobHandler()],
                configuration: { var c = Worker.Configuration(); c.concurrency = 8; return c }(),
                logger: testLogger("restart-worker")
            )
            let running = Task { try await worker.run() }
            try await eventually("the worker to finish some jobs") {
                try await store.stats().counters["finished", default: 0] >= 20
            }

            await harness.server.kill()
            try await harness.server.start()
            // Enqueue through the same client, which reconnects by itself.
            for _ in 0..<50 { ids.append(try await store.enqueue(EnqueueRequest(kind: "sleep", payload: Array("5".utf8))).id) }

            var ended: [JobStatus] = []
            for id in ids {
                ended.append(try await waitForEnd(id, harness: harness, timeout: .seconds(60)).status)
            }
            worker.stop()
            try await running.value
            #expect(ended.count == 250)
            #expect(ended.allSatisfy { $0 == .finished }, "every job finished: \(Dictionary(grouping: ended, by: { $0 }).mapValues(\.count))")
        }
    }
}
