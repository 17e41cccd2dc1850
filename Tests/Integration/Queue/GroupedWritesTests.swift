import Synchronization
import Testing
import Valkey
@testable import RAGQueue
import RAGQueueTestSupport

/// Scripts that start or end many jobs in one call (a claim of several jobs, the completions a
/// worker process had ready at once) write what the jobs repeat once; each job is still checked,
/// answered and announced as if alone.
@Suite("Grouped writes")
struct GroupedWritesTests {
    /// The first status event of each stream (skipping resyncs), within 10 s.
    func firstStatus(of streams: [AsyncStream<JobEvent>]) async throws -> [JobStatus?] {
        var statuses: [JobStatus?] = []
        for stream in streams {
            statuses.append(try await within(.seconds(10), "a status event") {
                for await event in stream { if case .status(let status) = event { return status } }
                return nil
            })
        }
        return statuses
    }

    /// A completion of `lease` with `answer` and 5 tokens of usage.
    static func completion(_ lease: JobLease, _ answer: String) -> ValkeyJobStore.Completion {
        .init(lease: lease, result: Array(answer.utf8), timings: "{}", usage: "{\"tokens\":5}", vector: [], reused: "", similarity: "", reusedCost: 0)
    }

    @Test("jobs claimed in one call are each announced started; completions stored in one call are each checked alone")
    func claimAndCompleteTogether() async throws {
        try await withQueue { harness in try await claimAndComplete(harness.store) }
    }

    func claimAndComplete(_ store: ValkeyJobStore) async throws {
        await store.eventHub.start()
        var ids: [JobID] = []
        for index in 0..<3 {
            ids.append(try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("job \(index)".utf8))).id)
        }
        let (ends, endsIn) = AsyncStream<JobEnd>.makeStream()
        let endsObservation = store.observeEnds { endsIn.yield($0) }
        defer { endsObservation.cancel() }
        let started = ids.map { store.events(for: $0) }

        let batch = try await store.claim(workerID: "w1", count: 3)
        let claimedIDs = Set(batch.jobs.map { $0.id })
        #expect(claimedIDs == Set(ids))
        let startedStatuses = try await firstStatus(of: started)
        #expect(startedStatuses == [.started, .started, .started])

        let byID = Dictionary(uniqueKeysWithValues: batch.jobs.map { ($0.id, $0.lease) })
        let a = try #require(byID[ids[0]])
        let b = try #require(byID[ids[1]])
        let c = try #require(byID[ids[2]])
        let finished = [ids[0], ids[2]].map { store.events(for: $0) }
        let stale = JobLease(id: b.id, token: b.token + 1)
        let outcomes = await store.storeCompletions([Self.completion(a, "A"), Self.completion(stale, "B"), Self.completion(c, "C"), Self.completion(a, "A again")])
        #expect(outcomes.count == 4)
        #expect((try? outcomes[0].get()) != nil)
        guard case .failure(let refused) = outcomes[1] else {
            Issue.record("a stale token is refused, got \(outcomes[1])")
            return
        }
        #expect(refused.isStaleToken && refused.jobID == b.id)
        #expect((try? outcomes[2].get()) != nil)
        #expect((try? outcomes[3].get()) != nil, "a repeated completion by the same holder is answered as stored")

        let finishedStatuses = try await firstStatus(of: finished)
        #expect(finishedStatuses == [.finished, .finished])
        var heard: [JobID] = []
        for await end in ends {
            heard.append(end.id)
            if heard.count == 2 { break }
        }
        #expect(Set(heard) == [ids[0], ids[2]])

        var records: [JobRecord] = []
        for id in ids { records.append(try #require(try await store.job(id))) }
        #expect(records.map(\.status) == [.finished, .started, .finished])
        #expect(records[0].result == Array("A".utf8) && records[2].result == Array("C".utf8), "the repeat did not overwrite")
        let stats = try await store.stats()
        #expect(stats.counters["finished"] == 2)
        #expect(stats.counters["refused"] == 1)
        #expect(stats.active == 1)
        let stillRunning = try await store.runningJobs(limit: 10).map(\.id)
        #expect(stillRunning == [b.id])
        let held = try await store.send(ValkeyCommand("SMEMBERS", store.keys.held("w1"))).array?.compactMap(\.string)
        #expect(held == [b.id.rawValue], "the holder holds only the job still running")
        let running = try await store.send(ValkeyCommand("HGET", store.keys.tenant("-"), "running")).string
        #expect(running == "1")
        let usage = try await store.send(ValkeyCommand("HGET", store.keys.usage("-"), "tokens")).string
        #expect(usage == "10", "both stored jobs' usage in the tenant's ledger")
        #expect(stats.endedPerSecond > 0)

        // The job left running still completes on its own.
        try await store.complete(b, result: Array("B".utf8), timings: [:])
        let last = try await store.job(b.id)
        #expect(last?.status == .finished)
        let finishedCount = try await store.stats().counters["finished"]
        #expect(finishedCount == 3)
    }

    @Test("a worker process's completions made at once all land, whichever call carries them")
    func concurrentCompletions() async throws {
        try await withQueue(configure: { $0.maxDepth = 0 }) { harness in
            let store = harness.store
            for index in 0..<300 {
                _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("\(index)".utf8), tenant: "t\(index % 3)"))
            }
            let jobs = try await store.claim(workerID: "w1", count: 300).jobs
            #expect(jobs.count == 300)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in jobs {
                    group.addTask { try await store.complete(job.lease, result: Array("done \(job.id)".utf8), timings: [:]) }
                }
                try await group.waitForAll()
            }
            let stats = try await store.stats()
            #expect(stats.counters["finished"] == 300)
            #expect(stats.active == 0)
            for tenant in ["t0", "t1", "t2"] {
                let running = try await store.send(ValkeyCommand("HGET", store.keys.tenant(tenant), "running")).string
                #expect(running == "0", "tenant \(tenant) runs nothing")
            }
            let held = try await store.send(ValkeyCommand("SCARD", store.keys.held("w1"))).int
            #expect(held == 0)
            for job in jobs.prefix(5) {
                let record = try await store.job(job.id)
                #expect(record?.result == Array("done \(job.id)".utf8))
            }
        }
    }
}

/// Submits that go to Valkey in one `enqueue` call are handled in turn, each seeing what the ones
/// before it wrote.
@Suite("Grouped submits")
struct GroupedSubmitsTests {
    @Test("in one call, a repeated idempotency key names the first job, and the depth limit counts the jobs before")
    func inTurn() async throws {
        try await withQueue(configure: { $0.maxDepth = 2 }) { harness in try await submitTogether(harness.store) }
    }

    func submitTogether(_ store: ValkeyJobStore) async throws {
        let first = try store.submission(of: EnqueueRequest(kind: "noop", payload: Array("one".utf8), idempotencyKey: "k1"))
        let repeated = try store.submission(of: EnqueueRequest(kind: "noop", payload: Array("one again".utf8), idempotencyKey: "k1"))
        let second = try store.submission(of: EnqueueRequest(kind: "noop", payload: Array("two".utf8)))
        let third = try store.submission(of: EnqueueRequest(kind: "noop", payload: Array("three".utf8)))
        let outcomes = await store.storeSubmissions([first.1, repeated.1, second.1, third.1])
        #expect(outcomes.count == 4)
        let replies = outcomes.compactMap { try? $0.get().0 }
        #expect(replies.count == 4)
        let codes = try replies.prefix(3).map { reply in try ScriptCode.check(reply, jobID: nil).code }
        #expect(codes == [.ok, .okExisting, .ok])
        #expect(replies.first?.array?.last?.string == first.0.rawValue)
        #expect(replies.dropFirst().first?.array?.last?.string == first.0.rawValue, "the repeat names the first job")
        // The fourth found two jobs waiting: the queue was full.
        let full = #expect(throws: QueueError.self) { try ScriptCode.check(replies[3], jobID: nil) }
        #expect(full?.isQueueFull == true && full?.depth == 2)
        let stats = try await store.stats()
        #expect(stats.waiting == 2)
        #expect(stats.counters["enqueued"] == 2)
        let recent = try await store.send(ValkeyCommand("ZCARD", store.keys.recent)).int
        #expect(recent == 2, "both new jobs listed among the recent ones")
        let marker = try await store.send(ValkeyCommand("ZCARD", store.keys.marker)).int
        #expect(marker == 1, "the workers are woken")
        // Jobs of one call keep their order in the queue.
        let claimed = try await store.claim(workerID: "w1", count: 5).jobs.map(\.id)
        #expect(claimed == [first.0, second.0])
    }
}
