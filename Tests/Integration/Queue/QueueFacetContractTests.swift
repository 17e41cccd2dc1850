import Foundation
import Synchronization
import Testing
import Valkey
@testable import RAGQueue

/// What both stores keep besides job records, held to one contract: token streams, the webhook
/// outbox with its delivery leases, and rate-limit buckets.
@Suite("Queue stores keep streams, the outbox and buckets alike", .sharedValkeyServers)
struct QueueFacetContractTests {
    @Test("a token stream hands out its entries in order after a cursor, and its appends are announced", arguments: StoreKind.allCases)
    func tokenStreams(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let id = JobID()
            try await store.appendTokens([.attempt(1), .text("Hello")], to: id)
            let first = try await store.tokens(of: id)
            #expect(first.map(\.kind) == [.attempt(1), .text("Hello")])
            let cursor = try #require(first.last?.id)
            #expect(TokenEntry.cursor(cursor) == cursor, "ids are stream entry ids")
            #expect(try await store.tokens(of: id, after: cursor).isEmpty)

            // A watcher of the job learns of the append, then reads what came after its cursor.
            let events = store.events(for: id)
            if let valkey = store as? ValkeyJobStore { await valkey.eventHub.start() }  // subscribed before the append
            try await store.appendTokens([.text(" world"), .end(finishReason: "stop")], to: id)
            let told = try await within(.seconds(10), "the append to be announced") {
                for await event in events where event == .tokens { return true }
                return false
            }
            #expect(told, "appends are announced to the job's watchers")
            let next = try await store.tokens(of: id, after: cursor)
            #expect(next.map(\.kind) == [.text(" world"), .end(finishReason: "stop")])
            #expect(try await store.tokens(of: id, after: next.last?.id).isEmpty, "nothing after the end")
        }
    }

    @Test("one owner at a time holds a delivery; finishing it empties the outbox and frees the lease", arguments: StoreKind.allCases)
    func webhookOutbox(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let id = JobID()
            try await store.addPendingDelivery(id)
            #expect(try await store.pendingDeliveries() == [id])
            #expect(try await store.holdDelivery(id, owner: "a", lease: .seconds(30)))
            #expect(try await store.holdDelivery(id, owner: "a", lease: .seconds(30)), "the holder extends its lease")
            #expect(try await !store.holdDelivery(id, owner: "b", lease: .seconds(30)), "another owner is refused")
            try await store.finishDelivery(id, owner: "b")
            #expect(try await store.pendingDeliveries().isEmpty, "any owner may end a delivery")
            #expect(try await !store.holdDelivery(id, owner: "a", lease: .seconds(30)), "an ended delivery cannot be held again")
            try await store.addPendingDelivery(id)
            #expect(try await !store.holdDelivery(id, owner: "b", lease: .seconds(30)), "only the holder frees the lease")
            try await store.finishDelivery(id, owner: "a")
            try await store.addPendingDelivery(id)
            #expect(try await store.holdDelivery(id, owner: "b", lease: .seconds(30)))
        }
    }

    @Test("a delivery lease that ran out may be taken by another owner", arguments: StoreKind.allCases)
    func expiredDeliveryLease(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let id = JobID()
            try await harness.store.addPendingDelivery(id)
            #expect(try await harness.store.holdDelivery(id, owner: "dead", lease: .milliseconds(50)))
            try await eventually("the lease to run out") {
                try await harness.store.holdDelivery(id, owner: "alive", lease: .seconds(30))
            }
        }
    }

    @Test("every end is announced to observeEnds with its queue wait and total: finished, failed, canceled while waiting, a follower, an answer from the cache", arguments: StoreKind.allCases)
    func observedEnds(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let heard = Mutex<[JobID: JobEnd]>([:])
            let observation = store.observeEnds { end in heard.withLock { $0[end.id] = end } }
            defer { observation.cancel() }
            // A store that hears its ends through a subscription misses those before it is in place:
            // probe jobs end until one is heard.
            // Probes sent before the subscription heard one may still be heard later: they are set aside.
            let probes = Mutex<Set<JobID>>([])
            try await eventually("the first end to be heard") {
                let probe = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
                probes.withLock { _ = $0.insert(probe.id) }
                _ = try await store.cancel(probe.id)
                return heard.withLock { !$0.isEmpty }
            }

            var request = EnqueueRequest(kind: RAGQuery.kind, payload: Array("q".utf8), tenant: "acme")
            request.answerCache = AnswerCacheEntry(key: "k-ends", collection: "docs", ttl: .seconds(60))
            let finished = try await store.enqueue(request).id
            clock.advance(by: .milliseconds(300))
            let follower = try await store.enqueue(request)
            #expect(follower.coalesced)
            let failing = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            let canceled = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
            clock.advance(by: .milliseconds(200))
            let jobs = try await store.claim(workerID: "w", count: 2).jobs
            #expect(Set(jobs.map(\.id)) == [finished, failing.id])
            clock.advance(by: .milliseconds(1_000))
            for job in jobs where job.id == finished { try await store.complete(job.lease, result: Array("a".utf8), timings: [:]) }
            for job in jobs where job.id == failing.id {
                _ = try await store.fail(job.lease, failure: JobFailure(code: "bad", message: "no", transient: false), retryAtMilliseconds: 0, timings: [:])
            }
            _ = try await store.cancel(canceled.id)
            let hit = try await store.enqueue(request)
            #expect(hit.cached)

            let expected: [JobID: JobEnd] = [
                finished: JobEnd(id: finished, status: .finished, queueWait: .milliseconds(500), total: .milliseconds(1_500)),
                follower.id: JobEnd(id: follower.id, status: .finished, queueWait: nil, total: .milliseconds(1_200)),
                failing.id: JobEnd(id: failing.id, status: .failed, queueWait: .milliseconds(200), total: .milliseconds(1_200)),
                canceled.id: JobEnd(id: canceled.id, status: .canceled, queueWait: nil, total: .milliseconds(1_200)),
                hit.id: JobEnd(id: hit.id, status: .finished, queueWait: nil, total: .zero),
            ]
            let probeIDs = probes.withLock { $0 }
            func heardOfThese() -> [JobID: JobEnd] { heard.withLock { $0.filter { !probeIDs.contains($0.key) } } }
            try await eventually("every end to be heard") { heardOfThese().count >= expected.count }
            #expect(heardOfThese() == expected)
        }
    }

    @Test("a finished job's answer answers its key again, at submit, until the collection's version moves; lookup off still stores", arguments: StoreKind.allCases)
    func answerCache(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            var request = EnqueueRequest(kind: RAGQuery.kind, payload: Array("q".utf8), tenant: "acme")
            request.answerCache = AnswerCacheEntry(key: "k1", collection: "docs", ttl: .seconds(60))
            let first = try await store.enqueue(request)
            #expect(!first.cached)
            let lease = try #require(try await store.claim(workerID: "w", count: 1).jobs.first).lease
            try await store.complete(lease, result: Array("answer".utf8), timings: [:], usage: [JobUsage.costMicroUSD: 250])

            let hit = try await store.enqueue(request)
            #expect(hit.cached && !hit.existing)
            let record = try #require(try await store.job(hit.id))
            #expect(record.status == .finished)
            #expect(record.result == Array("answer".utf8))
            #expect(record.cachedFrom == first.id)
            #expect(record.endCount == 1)
            #expect(try await store.claim(workerID: "w", count: 1).jobs.isEmpty, "a cached job never waits for a worker")
            let counters = try await store.stats().counters
            #expect(counters["cache_hits"] == 1 && counters["cache_saved_micro_usd"] == 250)
            let ledger = try #require(try await store.tenantStats().first { $0.tenant == "acme" }).usage
            #expect(ledger[JobUsage.cacheHits] == 1 && ledger[JobUsage.savedMicroUSD] == 250, "the tenant's ledger: \(ledger)")
            #expect(ledger[JobUsage.costMicroUSD] == 250, "only the first answer was paid for")

            var fresh = request
            fresh.answerCache?.lookup = false
            #expect(!(try await store.enqueue(fresh)).cached, "lookup off runs the job")
            #expect(try await store.retireAnswers(of: "other") == 1)
            #expect(try await store.enqueue(request).cached, "another collection's change leaves the answer")
            #expect(try await store.retireAnswers(of: "docs") == 1)
            #expect(!(try await store.enqueue(request)).cached, "the collection changed under the answer")
        }
    }

    @Test("a semantic scope's index: a finished job adds its question's vector, readers get only newer entries, a reuse marks the record and counts as a hit", arguments: StoreKind.allCases)
    func semanticIndex(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            func request(_ key: String) -> EnqueueRequest {
                var request = EnqueueRequest(kind: RAGQuery.kind, payload: Array(key.utf8), tenant: "acme")
                request.answerCache = AnswerCacheEntry(key: key, collection: "docs", ttl: .seconds(60), scope: "s1")
                return request
            }
            let first = try await store.enqueue(request("k1"))
            let claimed = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            let scope = try #require(claimed.answerScope, "a job with a semantic scope is claimed with it")
            #expect(scope.hasPrefix("s1:"), "the scope carries the collection's version: \(scope)")
            #expect(try await store.similarAnswers(in: scope, after: nil).entries.isEmpty)
            let vector: [Float] = [0.6, 0.8, -0.25, 1e-3]
            try await store.complete(claimed.lease, result: Array("answer one".utf8), timings: [:], usage: [JobUsage.costMicroUSD: 70], cache: AnswerCacheWrite(vector: vector))

            let index = try await store.similarAnswers(in: scope, after: nil)
            let entry = try #require(index.entries.first)
            #expect(index.entries.count == 1 && entry.vector == vector, "the vector comes back bit for bit")
            let cached = try #require(try await store.cachedAnswer(entry.answer))
            #expect(cached == CachedAnswer(result: Array("answer one".utf8), job: first.id, costMicroUSD: 70))
            #expect(try await store.similarAnswers(in: scope, after: index.cursor).entries.isEmpty, "nothing newer than the cursor")
            #expect(try await store.similarAnswers(in: "s2:0", after: nil).entries.isEmpty, "scopes are apart")

            // A similar question's job reuses that answer.
            _ = try await store.enqueue(request("k2"))
            let second = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            let reused = ReusedAnswer(job: cached.job, similarity: 0.93, costMicroUSD: cached.costMicroUSD)
            try await store.complete(
                second.lease, result: cached.result, timings: [:], usage: [JobUsage.costMicroUSD: 1], cache: AnswerCacheWrite(vector: [0.8, 0.6, 0, 0], reused: reused)
            )
            let record = try #require(try await store.job(second.id))
            #expect(record.status == .finished && record.cachedFrom == first.id && record.similarity == 0.93)
            let newer = try await store.similarAnswers(in: scope, after: index.cursor)
            #expect(newer.entries.map(\.vector) == [[0.8, 0.6, 0, 0]])
            #expect(try await store.cachedAnswer(try #require(newer.entries.first).answer)?.job == first.id, "a reused answer keeps its producer")
            let counters = try await store.stats().counters
            #expect(counters["semantic_hits"] == 1 && counters["cache_hits"] == 1 && counters["cache_saved_micro_usd"] == 70)
            let ledger = try #require(try await store.tenantStats().first { $0.tenant == "acme" }).usage
            #expect(ledger[JobUsage.cacheHits] == 1 && ledger[JobUsage.savedMicroUSD] == 70 && ledger[JobUsage.costMicroUSD] == 71)

            // The collection changes: the scope moves with its version.
            _ = try await store.retireAnswers(of: "docs")
            _ = try await store.enqueue(request("k3"))
            let third = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(third.answerScope != scope)
            #expect(try await store.cachedAnswer("no-such-answer") == nil)
        }
    }

    @Test("the same question in flight: followers never reach a worker and end once, as their leader ends, through a lost worker, a failure and a cancel", arguments: StoreKind.allCases)
    func coalescing(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            func request(_ key: String) -> EnqueueRequest {
                var request = EnqueueRequest(kind: RAGQuery.kind, payload: Array(key.utf8), tenant: "acme")
                request.answerCache = AnswerCacheEntry(key: key, collection: "docs", ttl: .seconds(60))
                return request
            }
            // Finished: a leader and two followers; one follower is canceled by its own submitter.
            let leader = try await store.enqueue(request("k1"))
            let followers = [try await store.enqueue(request("k1")), try await store.enqueue(request("k1"))]
            #expect(!leader.coalesced && followers.allSatisfy(\.coalesced))
            #expect(try await store.job(followers[0].id)?.coalescedWith == leader.id)
            #expect(try await store.cancel(followers[1].id) == .canceled)
            var claimed = try await store.claim(workerID: "w1", count: 5).jobs
            #expect(claimed.map(\.id) == [leader.id], "only the leader reaches a worker")
            // Its worker dies; the job is handed back and runs again; the follower still waits for it.
            try await harness.passTime(harness.configuration.lease + .seconds(1), live: ["w2"])
            claimed = try await store.claim(workerID: "w2", count: 5).jobs
            #expect(claimed.map(\.id) == [leader.id])
            try await store.complete(try #require(claimed.first).lease, result: Array("answer".utf8), timings: [:], usage: [JobUsage.costMicroUSD: 40])
            let ledger = try #require(try await store.tenantStats().first { $0.tenant == "acme" }).usage
            #expect(ledger[JobUsage.coalesced] == 1 && ledger[JobUsage.savedMicroUSD] == 40, "the finished follower saved its leader's cost: \(ledger)")
            let follower = try #require(try await store.job(followers[0].id))
            #expect(follower.status == .finished && follower.result == Array("answer".utf8) && follower.endCount == 1)
            let canceled = try #require(try await store.job(followers[1].id))
            #expect(canceled.status == .canceled && canceled.endCount == 1, "a follower's cancel is its own")
            #expect(try await store.stats().counters["coalesced"] == 2)

            // Failed: the followers fail with the leader's cause.
            let failing = try await store.enqueue(request("k2"))
            let failingFollower = try await store.enqueue(request("k2"))
            let lease = try #require(try await store.claim(workerID: "w2", count: 1).jobs.first).lease
            _ = try await store.fail(lease, failure: JobFailure(code: "bad_answer", message: "no", transient: false), retryAtMilliseconds: 0, timings: [:])
            #expect(failing.id == lease.id)
            let failed = try #require(try await store.job(failingFollower.id))
            #expect(failed.status == .failed && failed.error?.code == "bad_answer" && failed.endCount == 1)

            // Canceled leader: its first follower takes over and leads the rest.
            let canceledLeader = try await store.enqueue(request("k3"))
            let heir = try await store.enqueue(request("k3"))
            let last = try await store.enqueue(request("k3"))
            #expect(try await store.cancel(canceledLeader.id) == .canceled)
            let taken = try #require(try await store.claim(workerID: "w2", count: 5).jobs.first)
            #expect(taken.id == heir.id)
            #expect(try await store.job(last.id)?.coalescedWith == heir.id)
            try await store.complete(taken.lease, result: Array("later".utf8), timings: [:])
            #expect(try await store.job(last.id)?.result == Array("later".utf8))
        }
    }

    @Test("a follower holds no budget; if its leader is canceled it takes over, reserves as any job does, and what it spends counts; canceling all waiting leaves no heir", arguments: StoreKind.allCases)
    func heirBudget(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            var request = EnqueueRequest(
                kind: RAGQuery.kind, payload: Array("q".utf8), tenant: "payer",
                budget: BudgetReservation(unit: .microUSD, period: .day, limit: 1000, amount: 300)
            )
            request.answerCache = AnswerCacheEntry(key: "k", collection: "docs", ttl: .seconds(60))
            func budget() async throws -> BudgetStatus { try await store.budgetStatus(tenant: "payer", period: .day, unit: .microUSD) }
            let leader = try await store.enqueue(request)
            let heir = try await store.enqueue(request)
            #expect(heir.coalesced)
            #expect(try await budget().reserved == 300, "only the leader reserves")
            #expect(try await store.cancel(leader.id) == .canceled)
            #expect(try await budget().reserved == 300, "the leader's reservation went back, the heir's was taken")
            let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(job.id == heir.id)
            try await store.complete(job.lease, result: Array("a".utf8), timings: [:], usage: [JobUsage.costMicroUSD: 120])
            #expect(try await budget() == BudgetStatus(reserved: 0, spent: 120, limit: 1000))

            // Canceling every waiting job cancels the heirs that canceling their leaders makes.
            request.answerCache?.key = "other"
            let ids = [try await store.enqueue(request).id, try await store.enqueue(request).id, try await store.enqueue(request).id]
            #expect(try await store.cancelWaiting() == 3)
            for id in ids { #expect(try await store.job(id)?.status == .canceled) }
            #expect(try await store.claim(workerID: "w", count: 5).jobs.isEmpty)
            #expect(try await budget().reserved == 0, "nothing leaks")
        }
    }

    @Test("the records kept of jobs created in a range come oldest first; the range's end is excluded", arguments: StoreKind.allCases)
    func jobsCreatedInRange(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let clock = try #require(harness.clock)
            let start = Date(epochMilliseconds: clock.nowMilliseconds())
            var ids: [JobID] = []
            for kind in ["first", "second", "third"] {
                ids.append(try await harness.store.enqueue(EnqueueRequest(kind: kind, payload: [])).id)
                clock.advance(by: .seconds(1))
            }
            let all = try await harness.store.jobs(createdFrom: start, until: start.addingTimeInterval(3))
            #expect(all.map(\.id) == ids)
            #expect(all.map(\.kind) == ["first", "second", "third"])
            let middle = try await harness.store.jobs(createdFrom: start.addingTimeInterval(0.5), until: start.addingTimeInterval(2))
            #expect(middle.map(\.id) == [ids[1]])
            #expect(try await harness.store.jobs(createdFrom: start.addingTimeInterval(3), until: start.addingTimeInterval(9)).isEmpty)
        }
    }

    @Test("a bucket allows its burst, then refuses with the wait until a token is back", arguments: StoreKind.allCases)
    func buckets(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let clock = try #require(harness.clock)
            // Slow enough that Valkey's expiry of the key (the time to refill it whole, by the
            // server's clock) cannot pass while the test runs, on a loaded machine too.
            let limit = TokenBucket(capacity: 2, refillPerSecond: 0.004)
            #expect(try await harness.store.takeToken(from: "k", limit: limit) == .init(allowed: true, retryAfter: .zero, remaining: 1))
            #expect(try await harness.store.takeToken(from: "k", limit: limit).allowed)
            let refused = try await harness.store.takeToken(from: "k", limit: limit)
            #expect(refused == .init(allowed: false, retryAfter: .seconds(250), remaining: 0))
            #expect(try await harness.store.takeToken(from: "other", limit: limit).allowed, "buckets are separate")
            clock.advance(by: .seconds(250))
            #expect(try await harness.store.takeToken(from: "k", limit: limit).allowed, "a token came back")
        }
    }

    @Test("a provider's budget is shared: what one leases another waits for; settlements give back; a pause stops everyone", arguments: StoreKind.allCases)
    func providerBudgets(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let limits = ProviderLimits(requestsPerMinute: 120, tokensPerMinute: 1200)
            let worker = ProviderHolder(id: "w1", horizon: .seconds(600))
            func lease(_ model: String, _ tokens: Int, requests: Int = 1, wanted: Int = 0, window: Int64 = 0, settling: ProviderSettlement = .init(),
                       limits: ProviderLimits = limits) async throws -> ProviderLease {
                try await store.leaseProviderCapacity(
                    model: model, holder: worker, settling: settling,
                    lease: ProviderLeaseRequest(tokens: tokens, requests: requests, wantedTokens: wanted, windowMilliseconds: window), limits: limits
                )
            }
            #expect(try await lease("m", 1000) == .granted(requests: 1, tokens: 1000))
            #expect(try await lease("m", 400) == .wait(.seconds(10)), "200 tokens short at 20 a second")
            #expect(try await lease("other", 400) == .granted(requests: 1, tokens: 400), "models are apart")
            // The call used 800 of its 1,000: the 200 come back with the next lease's settlement.
            let used = ProviderSettlement(requests: 1, tokens: 1000, tokensBack: 200)
            #expect(try await lease("m", 400, settling: used) == .granted(requests: 1, tokens: 400), "the unused 200 came back")
            // A lease wanting more gets what the window of the rates allows: 5 s is 10 requests and 100 tokens.
            #expect(try await lease("other", 10, requests: 50, wanted: 5000, window: 5000) == .granted(requests: 10, tokens: 100))
            let unused = ProviderSettlement(requests: 10, requestsBack: 9, tokens: 100, tokensBack: 90)
            #expect(try await store.leaseProviderCapacity(model: "other", holder: worker, settling: unused, lease: nil, limits: limits) == ProviderLease.none)
            #expect(try await lease("other", 700, requests: 200, wanted: 100_000, window: 60_000) == .granted(requests: 118, tokens: 790),
                    "120 requests less the two used; 1,200 tokens less 400 and 10 used")
            try await store.pauseProvider(model: "m", for: .seconds(3))
            #expect(try await lease("m", 1) == .wait(.seconds(3)))
            clock.advance(by: .seconds(3))
            #expect(try await lease("m", 1) == .granted(requests: 1, tokens: 1))
            // Unconfigured limits come from the provider's headers; until then nothing is paced.
            #expect(try await lease("learned", 100, limits: ProviderLimits()) == .granted(requests: nil, tokens: nil))
            let learn = ProviderSettlement(observation: .init(limitRequests: 60, limitTokens: 600, remainingRequests: 10, remainingTokens: 100))
            #expect(try await lease("learned", 100, settling: learn, limits: ProviderLimits()) == .granted(requests: 1, tokens: 100))
            #expect(try await lease("learned", 100, limits: ProviderLimits()) == .wait(.seconds(10)))
        }
    }

    @Test("what a killed worker leased stops counting against the provider's remaining figure once it is silent past its horizon", arguments: StoreKind.allCases)
    func killedLeaseHolder(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let limits = ProviderLimits(requestsPerMinute: 6000)
            let killed = ProviderHolder(id: "killed", horizon: .seconds(30))
            let probe = ProviderHolder(id: "probe", horizon: .seconds(30))
            // What a lease may take with the provider saying 20 remain, given back at once.
            func room() async throws -> Int? {
                let said = ProviderSettlement(observation: .init(remainingRequests: 20))
                let everything = ProviderLeaseRequest(tokens: 0, requests: 1000, windowMilliseconds: 60_000)
                guard case .granted(let requests?, _) = try await store.leaseProviderCapacity(
                    model: "m", holder: probe, settling: said, lease: everything, limits: limits
                ) else { return nil }
                let back = ProviderSettlement(requests: requests, requestsBack: requests)
                _ = try await store.leaseProviderCapacity(model: "m", holder: probe, settling: back, lease: nil, limits: limits)
                return requests
            }
            let ten = ProviderLeaseRequest(tokens: 0, requests: 10, windowMilliseconds: 6000)
            #expect(try await store.leaseProviderCapacity(model: "m", holder: killed, settling: .init(), lease: ten, limits: limits)
                == .granted(requests: 10, tokens: nil))
            #expect(try await room() == 10, "20 remain, less the 10 in flight")
            clock.advance(by: .seconds(29))
            #expect(try await room() == 10, "heard 29 s ago: its calls may still be under way")
            clock.advance(by: .seconds(2))
            #expect(try await room() == 20, "silent past its horizon: it was killed, its leases count no more")
        }
    }

    @Test("a token stream expires with the job results' TTL")
    func tokenStreamExpiry() async throws {
        try await withQueue(configure: { $0.resultTTL = .seconds(60) }) { harness in
            let id = JobID()
            try await harness.store.appendTokens([.attempt(1), .text("x")], to: id)
            let ttl = try #require(try await harness.client.send("PTTL", try harness.configuration.keys().tokens(id)).int)
            #expect(ttl > 50_000 && ttl <= 60_000)
        }
    }

    @Test("backend failures open the circuit: no claims while open, one at a time half-open, a failed probe doubles it, a finished job closes it", arguments: StoreKind.allCases)
    func circuitBreaker(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.circuit.threshold = 3 }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let policy = harness.configuration.circuit
            for _ in 0..<4 { _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])) }

            // Below the threshold nothing changes.
            #expect(try await store.reportBackendFailure().isOpen(at: clock.nowMilliseconds()) == false)
            #expect(try await store.reportBackendFailure().trips == 0)
            let opened = try await store.reportBackendFailure()
            #expect(opened.trips == 1)
            #expect(opened.openUntilMilliseconds == clock.nowMilliseconds() + policy.openFor.milliseconds)
            let refused = try await store.claim(workerID: "w", count: 4)
            #expect(refused.jobs.isEmpty, "no claims while open")
            #expect(refused.nextDueMilliseconds == opened.openUntilMilliseconds, "the worker learns when to come back")

            // Half-open: one job per claim; its failure opens the circuit again, for twice as long.
            clock.advance(by: policy.openFor)
            let probe = try await store.claim(workerID: "w", count: 4)
            #expect(probe.jobs.count == 1)
            let reopened = try await store.reportBackendFailure()
            #expect(reopened.trips == 2)
            #expect(reopened.openUntilMilliseconds == clock.nowMilliseconds() + policy.openFor.milliseconds * 2)
            try await store.release(try #require(probe.jobs.first).lease)
            #expect(try await store.claim(workerID: "w", count: 4).jobs.isEmpty)

            // A job that finishes while half-open closes it: claims take as many as asked again.
            clock.advance(by: policy.openFor * 2)
            let second = try await store.claim(workerID: "w", count: 4)
            #expect(second.jobs.count == 1)
            try await store.complete(try #require(second.jobs.first).lease, result: [1], timings: [:])
            #expect(try await store.claim(workerID: "w", count: 4).jobs.count == 3)
            #expect(try await store.reportBackendFailure().trips == 0, "closed: one failure is below the threshold again")
        }
    }

    @Test("an outage failure gives its attempt back, up to the cap; a failure of the job's own spends it", arguments: StoreKind.allCases)
    func outageRefunds(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.circuit.maximumRefunds = 1 }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let outage = JobFailure(code: "server_error", message: "500", transient: true)
            let own = JobFailure(code: "rate_limited", message: "429", transient: true)
            func attempt(_ id: JobID, _ failure: JobFailure) async throws -> FailureOutcome {
                let claimed = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
                #expect(claimed.id == id)
                return try await store.fail(claimed.lease, failure: failure, retryAtMilliseconds: clock.nowMilliseconds(), timings: [:])
            }
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], maxAttempts: 1)).id
            #expect(try await attempt(id, outage) == .scheduled, "the only attempt is given back")
            #expect(try await store.job(id)?.attempts == 0)
            #expect(try await attempt(id, outage) == .failed, "past the cap the attempt counts")

            let other = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], maxAttempts: 1)).id
            #expect(try await attempt(other, own) == .failed)
        }
    }
}
