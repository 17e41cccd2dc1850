import Foundation
import Testing
import Valkey
@testable import RAGQueue

@Suite("Queue lifecycle on Valkey", .sharedValkeyServers)
struct QueueLifecycleTests {
    @Test("a job is enqueued, claimed under a lease, completed, and readable with its result", arguments: StoreKind.allCases)
    func happyPath(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let enqueued = try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("hi".utf8), requestID: "req-1", tenant: "acme"))
            #expect(!enqueued.existing)
            let queued = try #require(try await store.job(enqueued.id))
            #expect(queued.status == .queued)
            #expect(queued.requestID == "req-1")
            #expect(queued.tenant == "acme")

            let batch = try await store.claim(workerID: "w1", count: 10)
            let job = try #require(batch.jobs.first)
            #expect(batch.jobs.count == 1)
            #expect(job.id == enqueued.id)
            #expect(job.payload == Array("hi".utf8))
            #expect(job.attempt == 1)
            let running = try #require(try await store.job(job.id))
            #expect(running.status == .started)
            #expect(running.workerID == "w1")
            #expect(running.leaseExpiresAt == Date(epochMilliseconds: harness.clock!.nowMilliseconds() + 15_000))

            try await store.complete(job.lease, result: Array("answer".utf8), timings: ["embed": 0.25])
            let done = try #require(try await store.job(job.id))
            #expect(done.status == .finished)
            #expect(done.result == Array("answer".utf8))
            #expect(done.timings == ["embed": 0.25])
            #expect(done.endedAt != nil)
            // Completing again with the same lease is harmless; nothing else may claim it.
            try await store.complete(job.lease, result: Array("again".utf8), timings: [:])
            #expect(try await store.job(job.id)?.result == Array("answer".utf8))
            #expect(try await store.claim(workerID: "w2", count: 10).jobs.isEmpty)
        }
    }

    @Test("results and failures expire after their TTLs; unknown ids read as not found")
    func expiry() async throws {
        try await withQueue(configure: { $0.resultTTL = .seconds(60); $0.failureTTL = .seconds(600) }) { harness in
            let store = harness.store
            let finished = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            let failed = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            let jobs = try await store.claim(workerID: "w", count: 2).jobs
            let byID = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
            try await store.complete(try #require(byID[finished.id]).lease, result: [], timings: [:])
            _ = try await store.fail(try #require(byID[failed.id]).lease, failure: JobFailure(code: "bad", message: "no", transient: false), retryAtMilliseconds: 0, timings: [:])

            let keys = harness.store.keys
            let finishedTTL = try #require(try await harness.client.send("PTTL", keys.job(finished.id)).int)
            let failedTTL = try #require(try await harness.client.send("PTTL", keys.job(failed.id)).int)
            #expect((55_000...60_000).contains(finishedTTL))
            #expect((595_000...600_000).contains(failedTTL))

            // Once the record is gone the id reads as not found, and writes about it are refused.
            try await harness.client.send("DEL", keys.job(finished.id))
            #expect(try await store.job(finished.id) == nil)
            #expect(try await store.job(JobID()) == nil)
            await #expect(throws: QueueError.notFound(finished.id)) { try await store.cancel(finished.id) }
        }
    }

    @Test("an idempotency key returns the existing job, per tenant", arguments: StoreKind.allCases)
    func idempotency(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let first = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [1], idempotencyKey: "abc", tenant: "t1"))
            let again = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [2], idempotencyKey: "abc", tenant: "t1"))
            let otherTenant = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [3], idempotencyKey: "abc", tenant: "t2"))
            #expect(again.existing)
            #expect(again.id == first.id)
            #expect(!otherTenant.existing)
            #expect(otherTenant.id != first.id)
            #expect(try await store.stats().waiting == 2)
        }
    }

    @Test("enqueue beyond the maximum depth is refused with queueFull", arguments: StoreKind.allCases)
    func maxDepth(kind: StoreKind) async throws {
        try await withStore(kind, configure: { $0.maxDepth = 3 }) { harness in
            for _ in 0..<3 { _ = try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: [])) }
            await #expect(throws: QueueError.queueFull(depth: 3)) {
                try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            }
            // Claiming makes room again.
            _ = try await harness.store.claim(workerID: "w", count: 1)
            _ = try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: []))
        }
    }

    @Test("a transient failure is retried after its backoff; the last attempt fails with the reason", arguments: StoreKind.allCases)
    func retries(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.maxAttempts = 2 }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let first = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            let retryAt = clock.nowMilliseconds() + 5_000
            let outcome = try await store.fail(first.lease, failure: JobFailure(code: "rate_limited", message: "429", transient: true, retryAfter: .seconds(5)), retryAtMilliseconds: retryAt, timings: [:])
            #expect(outcome == .scheduled)
            let scheduled = try #require(try await store.job(id))
            #expect(scheduled.status == .scheduled)
            #expect(scheduled.retryAt == Date(epochMilliseconds: retryAt))
            #expect(scheduled.error?.code == "rate_limited")

            // Not before it is due.
            let early = try await store.claim(workerID: "w", count: 1)
            #expect(early.jobs.isEmpty)
            #expect(early.nextDueMilliseconds == retryAt)
            clock.advance(by: .seconds(5))
            let second = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(second.attempt == 2)
            #expect(second.token > first.token)

            let final = try await store.fail(second.lease, failure: JobFailure(code: "rate_limited", message: "still 429", transient: true), retryAtMilliseconds: 0, timings: [:])
            #expect(final == .failed)
            let failed = try #require(try await store.job(id))
            #expect(failed.status == .failed)
            #expect(failed.error?.message == "still 429")
            let stats = try await store.stats()
            #expect(stats.failed == 1)
            #expect(stats.failures == ["rate_limited": 1], "failures are counted by reason, the retried attempt not among them")
            #expect(stats.counters["failed"] == 1 && stats.counters["failed:rate_limited"] == nil)
        }
    }

    @Test("a permanent failure fails at once, whatever attempts remain", arguments: StoreKind.allCases)
    func permanentFailure(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            _ = try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            let job = try #require(try await harness.store.claim(workerID: "w", count: 1).jobs.first)
            let outcome = try await harness.store.fail(job.lease, failure: JobFailure(code: "collection_not_found", message: "no collection x", transient: false), retryAtMilliseconds: 0, timings: [:])
            #expect(outcome == .failed)
            #expect(try await harness.store.job(job.id)?.status == .failed)
        }
    }

    @Test("an operator's retry puts a failed job back in the queue: it runs again as a new attempt and ends once more; other states are refused", arguments: StoreKind.allCases)
    func operatorRetry(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.maxAttempts = 2 }) { harness in
            let store = harness.store
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], idempotencyKey: "once", tenant: "acme")).id
            await #expect(throws: QueueError.invalidState(id, "queued")) { try await store.retry(id) }
            let first = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            let failure = JobFailure(code: "collection_not_found", message: "no collection x", transient: false)
            #expect(try await store.fail(first.lease, failure: failure, retryAtMilliseconds: 0, timings: [:]) == .failed)
            let unknown = JobID()
            await #expect(throws: QueueError.notFound(unknown)) { try await store.retry(unknown) }

            try await store.retry(id)
            let queued = try #require(try await store.job(id))
            #expect(queued.status == .queued && queued.endedAt == nil && queued.endCount == 0)
            #expect(queued.attempts == 1 && queued.maxAttempts == 3, "the configured attempts again, counted on")
            #expect(queued.operatorRetries == 1)
            var stats = try await store.stats()
            #expect(stats.failed == 0 && stats.waiting == 1)
            #expect(stats.counters["retried_by_operator"] == 1 && stats.failures == ["collection_not_found": 1], "the failure stays counted")
            // Its idempotency key still names it: a resubmit while it waits again gets the same job.
            #expect(try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], idempotencyKey: "once", tenant: "acme")).id == id)
            await #expect(throws: QueueError.invalidState(id, "queued")) { try await store.retry(id) }

            let second = try #require(try await store.claim(workerID: "w2", count: 1).jobs.first)
            #expect(second.id == id && second.attempt == 2 && second.token > first.token)
            await #expect(throws: QueueError.staleToken(id)) { try await store.complete(first.lease, result: Array("late".utf8), timings: [:]) }
            try await store.complete(second.lease, result: Array("fixed".utf8), timings: [:])
            let done = try #require(try await store.job(id))
            #expect(done.status == .finished && done.result == Array("fixed".utf8) && done.endCount == 1)
            stats = try await store.stats()
            #expect(stats.counters["finished"] == 1 && stats.counters["failed"] == 1)
        }
    }

    @Test("recent jobs are listed newest first, page by page without gaps or repeats, filtered by status, tenant and question text", arguments: StoreKind.allCases)
    func listing(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            func query(_ text: String) throws -> [UInt8] { Array(try JSONEncoder().encode(["query": text])) }
            var created: [JobID] = []
            for (index, tenant) in ["acme", "zeta", "acme", "acme", "zeta", "acme"].enumerated() {
                // Two jobs share each millisecond: the cursor must split a millisecond right.
                if index % 2 == 0 { clock.advance(by: .milliseconds(5)) }
                let text = index == 3 ? #"Where do "Leases" END/start?"# : "question \(index)"
                created.append(try await store.enqueue(EnqueueRequest(kind: "rag.query", payload: try query(text), tenant: tenant)).id)
            }
            let newestFirst = try await store.jobs(createdFrom: .distantPast, until: .distantFuture).reversed().map(\.id)
            #expect(Set(newestFirst) == Set(created) && newestFirst.count == 6)

            var seen: [JobID] = []
            var cursor: JobCursor?
            var pages = 0
            repeat {
                let page = try await store.jobs(matching: JobFilter(), after: cursor, limit: 4)
                seen += page.records.map(\.id)
                cursor = page.next
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == newestFirst, "newest first, by id within a millisecond, each once")

            let first = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            _ = try await store.fail(first.lease, failure: JobFailure(code: "bad", message: "no", transient: false), retryAtMilliseconds: 0, timings: [:])
            #expect(try await store.jobs(matching: JobFilter(status: .failed), after: nil, limit: 10).records.map(\.id) == [first.id])
            let zeta = try await store.jobs(matching: JobFilter(tenant: "zeta"), after: nil, limit: 10).records
            #expect(zeta.map(\.id) == newestFirst.filter { [created[1], created[4]].contains($0) })
            #expect(try await store.jobs(matching: JobFilter(text: "leases\" end"), after: nil, limit: 10).records.map(\.id) == [created[3]])
            #expect(try await store.jobs(matching: JobFilter(text: "end/start"), after: nil, limit: 10).records.map(\.id) == [created[3]], "text JSON escapes")
            #expect(try await store.jobs(matching: JobFilter(tenant: "zeta", text: "leases"), after: nil, limit: 10).records.isEmpty)
            #expect(try await store.jobs(matching: JobFilter(text: "query"), after: nil, limit: 10).records.isEmpty, "the question is matched, not the JSON around it")

            // A rare match behind more than a thousand others is still found, page by page.
            for index in 0..<1_100 {
                _ = try await store.enqueue(EnqueueRequest(kind: "rag.query", payload: try query("filler \(index)"), tenant: "bulk"))
            }
            var found: [JobID] = []
            cursor = nil
            pages = 0
            repeat {
                let page = try await store.jobs(matching: JobFilter(text: "LEASES"), after: cursor, limit: 10)
                found += page.records.map(\.id)
                cursor = page.next
                pages += 1
            } while cursor != nil && pages < 20
            #expect(found == [created[3]])
        }
    }

    @Test("a job's history lists each step with its time, worker, attempt and reason", arguments: StoreKind.allCases)
    func history(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.maxAttempts = 3 }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let created = clock.nowMilliseconds()
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let first = try #require(try await store.claim(workerID: "w1", count: 1).jobs.first)
            let retryAt = clock.nowMilliseconds() + 2_000
            _ = try await store.fail(first.lease, failure: JobFailure(code: "rate_limited", message: "429", transient: true), retryAtMilliseconds: retryAt, timings: [:])
            clock.advance(by: .seconds(2))
            _ = try #require(try await store.claim(workerID: "w2", count: 1).jobs.first)
            try await harness.passTime(harness.configuration.lease + .seconds(1), live: ["w2"])
            let third = try #require(try await store.claim(workerID: "w3", count: 1).jobs.first)
            try await store.complete(third.lease, result: [], timings: [:])

            let steps = try #require(try await store.job(id)).history
            #expect(steps.map(\.what) == ["created", "started", "scheduled", "queued", "started", "lease_expired", "queued", "started", "finished"])
            #expect(steps.map(\.details) == [[], ["w1", "1"], ["rate_limited", String(retryAt)], ["retry_due"], ["w2", "2"], ["w2"], [], ["w3", "3"], []])
            #expect(steps.first?.at == Date(epochMilliseconds: created) && steps[3].at == Date(epochMilliseconds: retryAt))
            #expect(steps.map(\.at) == steps.map(\.at).sorted())
        }
    }

    @Test("an expired lease is reclaimed; the stale holder's writes are refused; the limit fails the job", arguments: StoreKind.allCases)
    func leaseExpiryAndFencing(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.maxAttempts = 2 }) { harness in
            let store = harness.store
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let stale = try #require(try await store.claim(workerID: "frozen", count: 1).jobs.first)

            #expect(try await harness.passTime(.seconds(14)).requeued == 0, "a live lease is left alone")
            #expect(try await harness.passTime(.seconds(2)).requeued == 1)
            #expect(try await store.renew([stale.lease]) == [.lost])
            // Queued again under the same token until someone claims it: the late write is still refused.
            await #expect(throws: QueueError.invalidState(id, "queued")) {
                try await store.complete(stale.lease, result: Array("early".utf8), timings: [:])
            }

            let fresh = try #require(try await store.claim(workerID: "healthy", count: 1).jobs.first)
            #expect(fresh.token > stale.token)
            await #expect(throws: QueueError.staleToken(id)) {
                try await store.complete(stale.lease, result: Array("late".utf8), timings: [:])
            }
            try await store.complete(fresh.lease, result: Array("fresh".utf8), timings: [:])
            await #expect(throws: QueueError.staleToken(id)) {
                try await store.complete(stale.lease, result: Array("later".utf8), timings: [:])
            }
            #expect(try await store.job(id)?.result == Array("fresh".utf8))
            #expect(try await store.job(id)?.endCount == 1, "one final write")
            #expect(try await store.stats().counters["refused"] == 3, "every late write is refused and counted")

            // A job whose every attempt loses its lease fails, saying so.
            let doomed = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            for _ in 0..<2 {
                _ = try #require(try await store.claim(workerID: "crashy", count: 1).jobs.first)
                try await harness.passTime(.seconds(16))
            }
            let record = try #require(try await store.job(doomed))
            #expect(record.status == .failed)
            #expect(record.error?.code == "lease_expired")
            #expect(record.error?.message.contains("2 attempts") == true)
            #expect(try await store.stats().failures == ["lease_expired": 1])
        }
    }

    @Test("a dead worker's jobs go back within a heartbeat whatever their lease, the attempt not counted; a job that kills its workers fails", arguments: StoreKind.allCases)
    func deadWorkers(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.lease = .seconds(60); $0.maxCrashes = 2 }) { harness in
            let store = harness.store
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let kept = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            for worker in ["dies", "lives"] {
                try await store.heartbeat(WorkerInfo(id: worker, host: "test", pid: 0, concurrency: 1, kinds: [], startedAtMilliseconds: 0), ttl: harness.configuration.heartbeat)
            }
            let first = try #require(try await store.claim(workerID: "dies", count: 1).jobs.first)
            let held = try #require(try await store.claim(workerID: "lives", count: 1).jobs.first)
            #expect(first.id == id && held.id == kept)

            // "dies" stops beating; "lives" beats on. Within a heartbeat and a step, not a lease.
            let report = try await harness.passTime(harness.configuration.heartbeat + harness.configuration.heartbeat / 3, live: ["lives"])
            #expect(report.crashed == 1 && report.requeued == 1)
            let back = try #require(try await store.job(id))
            #expect(back.status == .queued)
            #expect(back.attempts == 0, "a dead worker's attempt does not count")
            #expect(back.crashes == 1)
            #expect(back.error?.code == "worker_crashed")
            #expect(try await store.renew([first.lease]) == [.lost], "the dead worker's lease is gone; its writes are refused")
            #expect(try await store.job(kept)?.status == .started, "a live worker keeps its job")
            #expect(try await store.renew([held.lease]) == [.renewed])
            #expect(try await !store.workers().map(\.id).contains("dies"), "a dead worker is forgotten")
            // Its announcement expires in Valkey's own time, which a loaded machine may spend while
            // the test's clock stands still: it beats once more before it is read.
            try await store.heartbeat(WorkerInfo(id: "lives", host: "test", pid: 0, concurrency: 1, kinds: [], startedAtMilliseconds: 0), ttl: harness.configuration.heartbeat)
            let lives = try #require(try await store.workers().first { $0.id == "lives" })
            let now = try #require(harness.clock).nowMilliseconds()
            #expect(lives.jobsInFlight == 1, "the job it holds")
            #expect(lives.heartbeatDeadlineMilliseconds.map { $0 > now && $0 <= now + harness.configuration.heartbeat.milliseconds } == true)

            // The second worker to die holding it makes it fail.
            try await store.heartbeat(WorkerInfo(id: "dies-too", host: "test", pid: 0, concurrency: 1, kinds: [], startedAtMilliseconds: 0), ttl: harness.configuration.heartbeat)
            _ = try #require(try await store.claim(workerID: "dies-too", count: 1).jobs.first)
            try await harness.passTime(harness.configuration.heartbeat * 2, live: ["lives"])
            let failed = try #require(try await store.job(id))
            #expect(failed.status == .failed)
            #expect(failed.crashes == 2)
            #expect(failed.error?.code == "worker_crashed")
            #expect(failed.error?.transient == false)
            #expect(failed.error?.message.contains("2 workers died") == true)
            #expect(try await store.stats().failures == ["worker_crashed": 1])
        }
    }

    @Test("after an outage no live worker loses a job: deadlines move on by the time nobody reached the queue", arguments: StoreKind.allCases)
    func outage(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.lease = .seconds(5) }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            try await harness.passTime(.seconds(1), live: ["w"])
            let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            _ = try await store.reclaimExpired()

            // Nobody reaches the queue for 4 leases; then the first reclaim sees the gap.
            clock.advance(by: .seconds(20))
            let report = try await store.reclaimExpired()
            #expect(report.outage == .seconds(20))
            #expect(report.requeued + report.failed + report.crashed == 0, "nothing is taken back after an outage")
            try await store.heartbeat(WorkerInfo(id: "w", host: "test", pid: 0, concurrency: 1, kinds: [], startedAtMilliseconds: 0), ttl: harness.configuration.heartbeat)
            #expect(try await store.renew([job.lease]) == [.renewed], "the live worker renews first")
            #expect(try await harness.passTime(.seconds(4), live: ["w"]).requeued == 0)
            #expect(try await store.job(id)?.status == .started)
            // A worker that goes silent after the outage is dead like any other, lease or not.
            #expect(try await store.renew([job.lease]) == [.renewed])
            #expect(try await harness.passTime(harness.configuration.heartbeat * 2).crashed == 1)
        }
    }

    @Test("cancel ends a waiting job at once and tells a running one", arguments: StoreKind.allCases)
    func cancel(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let waiting = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            #expect(try await store.cancel(waiting) == .canceled)
            #expect(try await store.job(waiting)?.status == .canceled)
            #expect(try await store.stats().waiting == 0)
            await #expect(throws: QueueError.alreadyEnded(waiting, "canceled")) { try await store.cancel(waiting) }

            let runningID = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let running = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(running.id == runningID)
            #expect(try await store.cancel(runningID) == .requested)
            #expect(try await store.renew([running.lease]) == [.cancelRequested])
            let outcome = try await store.fail(running.lease, failure: JobFailure(code: "canceled", message: "canceled", transient: false), retryAtMilliseconds: 0, timings: [:])
            #expect(outcome == .canceled)
            #expect(try await store.job(runningID)?.status == .canceled)
        }
    }

    @Test("release hands a job back to the front of the queue without spending an attempt", arguments: StoreKind.allCases)
    func release(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let first = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(job.id == first)
            try await store.release(job.lease)
            let again = try #require(try await store.claim(workerID: "w2", count: 1).jobs.first)
            #expect(again.id == first)
            #expect(again.attempt == 1)
        }
    }

    @Test("stats count every state, the oldest wait and live workers", arguments: StoreKind.allCases)
    func stats(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            for _ in 0..<4 { _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])) }
            clock.advance(by: .seconds(3))
            let jobs = try await store.claim(workerID: "w", count: 2).jobs
            _ = try await store.fail(jobs[0].lease, failure: JobFailure(code: "x", message: "x", transient: true), retryAtMilliseconds: clock.nowMilliseconds() + 60_000, timings: [:])
            try await store.heartbeat(WorkerInfo(id: "w", host: "h", pid: 1, concurrency: 2, kinds: ["noop"], startedAtMilliseconds: 0), ttl: .seconds(15))
            let stats = try await store.stats()
            #expect(stats.waiting == 2)
            #expect(stats.active == 1)
            #expect(stats.scheduled == 1)
            #expect(stats.failed == 0)
            #expect(stats.liveWorkers == 1)
            #expect(stats.oldestWaitingSeconds == 3)
            #expect(stats.counters["enqueued"] == 4)
            #expect(stats.counters["retried"] == 1)
            try await store.removeWorker("w")
            #expect(try await store.stats().liveWorkers == 0)
        }
    }

    @Test("a waiter learns that a job ended from a pushed event", arguments: StoreKind.allCases)
    func waitForEndEvent(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            async let ended = store.waitForEnd(of: id, timeout: .seconds(30))
            let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            try await store.complete(job.lease, result: Array("done".utf8), timings: [:])
            let start = ContinuousClock.now
            let record = try await ended
            #expect(record?.status == .finished)
            #expect(ContinuousClock.now - start < .seconds(30), "the wait ended by event, not by its timeout")
        }
    }
}
