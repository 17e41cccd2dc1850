import Foundation
import Testing
import Valkey
@testable import RAGQueue

/// Who runs next, on both stores: fair share across tenants by weight, a concurrency limit per
/// tenant, priorities with aging within a tenant, budgets reserved at enqueue and settled at the
/// end, and the queue-full wait from the measured rate.
@Suite("Queue scheduling: fair share, limits, priorities, budgets", .sharedValkeyServers)
struct QueueSchedulingTests {
    static func enqueue(_ store: any JobStore, tenant: String, count: Int, priority: Int = EnqueueRequest.defaultPriority, policy: TenantPolicy? = nil) async throws -> [JobID] {
        var ids: [JobID] = []
        for _ in 0..<count {
            ids.append(try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], tenant: tenant, priority: priority, tenantPolicy: policy)).id)
        }
        return ids
    }

    /// Claims and completes one job at a time, `count` times; returns the tenants served, in order.
    static func serve(_ store: any JobStore, count: Int) async throws -> [String] {
        var served: [String] = []
        for _ in 0..<count {
            guard let job = try await store.claim(workerID: "w", count: 1).jobs.first else { break }
            served.append(job.tenant ?? "-")
            try await store.complete(job.lease, result: [], timings: [:])
        }
        return served
    }

    @Test("a tenant flooding the queue does not delay one that sends a single job; alone, it gets every slot", arguments: StoreKind.allCases)
    func flood(kind: StoreKind) async throws {
        try await withStore(kind, configure: { $0.maxDepth = 0 }) { harness in
            let store = harness.store
            _ = try await Self.enqueue(store, tenant: "a", count: 300)
            #expect(try await Self.serve(store, count: 20) == Array(repeating: "a", count: 20), "alone, the flooder gets every claim")
            let single = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], tenant: "b")).id
            let next = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(next.id == single, "b's one job goes before a's backlog of 280")
            try await store.complete(next.lease, result: [], timings: [:])
            #expect(try await Self.serve(store, count: 5) == Array(repeating: "a", count: 5), "then a has every slot again")
        }
    }

    @Test("weights 3:1 between two saturating tenants give claims 3:1; equal weights alternate", arguments: StoreKind.allCases)
    func weights(kind: StoreKind) async throws {
        try await withStore(kind, configure: { $0.maxDepth = 0 }) { harness in
            let store = harness.store
            _ = try await Self.enqueue(store, tenant: "heavy", count: 200, policy: TenantPolicy(weight: 3))
            _ = try await Self.enqueue(store, tenant: "light", count: 200, policy: TenantPolicy(weight: 1))
            let served = try await Self.serve(store, count: 200)
            let heavy = served.filter { $0 == "heavy" }.count
            #expect(heavy == 150, "3:1 of 200 claims is 150:50, got \(heavy):\(200 - heavy)")
            // In every window of 8 claims the share holds too: no long runs of one tenant.
            for start in stride(from: 0, to: 200, by: 8) {
                let window = served[start..<min(start + 8, served.count)]
                #expect(abs(window.filter { $0 == "heavy" }.count - 6) <= 1, "claims \(start)..<\(start + 8): \(window)")
            }

            _ = try await store.cancelWaiting()
            _ = try await Self.enqueue(store, tenant: "x", count: 50)
            _ = try await Self.enqueue(store, tenant: "y", count: 50)
            _ = try await Self.enqueue(store, tenant: "z", count: 50)
            let equal = try await Self.serve(store, count: 3 * 50)
            let counts = ["x", "y", "z"].map { tenant in Double(equal.prefix(90).filter { $0 == tenant }.count) }
            #expect(counts == [30, 30, 30], "equal weights share equally: \(counts)")
        }
    }

    @Test("a claim of many jobs serves tenants in the order claims of one job at a time would", arguments: StoreKind.allCases)
    func batchOrder(kind: StoreKind) async throws {
        var orders: [[String]] = []
        for batch in [1, 16] {
            try await withStore(kind, configure: { $0.maxDepth = 0 }) { harness in
                let store = harness.store
                _ = try await Self.enqueue(store, tenant: "heavy", count: 60, policy: TenantPolicy(weight: 3))
                _ = try await Self.enqueue(store, tenant: "light", count: 60, policy: TenantPolicy(weight: 1))
                _ = try await Self.enqueue(store, tenant: "other", count: 20)
                var served: [String] = []
                while served.count < 100 {
                    let jobs = try await store.claim(workerID: "w", count: min(batch, 100 - served.count)).jobs
                    if jobs.isEmpty { break }
                    served += jobs.map { $0.tenant ?? "-" }
                    for job in jobs { try await store.complete(job.lease, result: [], timings: [:]) }
                }
                orders.append(served)
            }
        }
        #expect(orders[0].count == 100)
        #expect(orders[1] == orders[0], "one at a time: \(orders[0].prefix(24)), sixteen at a time: \(orders[1].prefix(24))")
    }

    @Test("a tenant never runs more than its limit; a finished job lets the next one start", arguments: StoreKind.allCases)
    func concurrencyLimit(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            _ = try await Self.enqueue(store, tenant: "capped", count: 6, policy: TenantPolicy(maxRunning: 2))
            _ = try await Self.enqueue(store, tenant: "free", count: 6)
            let batch = try await store.claim(workerID: "w", count: 10).jobs
            #expect(batch.filter { $0.tenant == "capped" }.count == 2)
            #expect(batch.filter { $0.tenant == "free" }.count == 6, "the rest of the slots go to the other tenant")
            #expect(try await store.claim(workerID: "w", count: 10).jobs.isEmpty, "capped waits at its limit")
            let capped = try #require(batch.first { $0.tenant == "capped" })
            try await store.complete(capped.lease, result: [], timings: [:])
            let next = try await store.claim(workerID: "w", count: 10).jobs
            #expect(next.map(\.tenant) == ["capped"], "one ended, one more starts")
            let tenants = try await store.tenantStats()
            #expect(tenants.first { $0.tenant == "capped" }?.running == 2)
            #expect(tenants.first { $0.tenant == "capped" }?.maxRunning == 2)
            #expect(tenants.first { $0.tenant == "capped" }?.waiting == 3)
        }
    }

    @Test("a limit lowered by a later submit holds from the next claim, while the tenant already waits in line", arguments: StoreKind.allCases)
    func loweredLimit(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            _ = try await Self.enqueue(store, tenant: "t", count: 4, policy: TenantPolicy(maxRunning: 3))
            let first = try await store.claim(workerID: "w", count: 1).jobs
            #expect(first.count == 1)
            _ = try await Self.enqueue(store, tenant: "t", count: 1, policy: TenantPolicy(maxRunning: 1))
            #expect(try await store.claim(workerID: "w", count: 10).jobs.isEmpty, "one runs, and the limit is now one")
            try await store.complete(try #require(first.first).lease, result: [], timings: [:])
            let next = try await store.claim(workerID: "w", count: 10).jobs
            #expect(next.count == 1, "one ended, one more starts, no more")
            #expect(try await store.tenantStats().first { $0.tenant == "t" }?.waiting == 3)
        }
    }

    @Test("higher priority runs first within a tenant; age wins over priority after enough steps", arguments: StoreKind.allCases)
    func priorities(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.priorityStep = .seconds(10) }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let low = try await Self.enqueue(store, tenant: "t", count: 2, priority: 0)
            let middle = try await Self.enqueue(store, tenant: "t", count: 2, priority: 5)
            let high = try await Self.enqueue(store, tenant: "t", count: 2, priority: 9)
            var order: [JobID] = []
            for _ in 0..<6 {
                let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
                order.append(job.id)
                try await store.complete(job.lease, result: [], timings: [:])
            }
            #expect(order == high + middle + low, "priority first, then first come first served")

            // A priority-0 job that waited more than 9 steps goes before a new priority-9 job.
            let old = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], tenant: "t", priority: 0)).id
            clock.advance(by: .seconds(91))
            _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], tenant: "t", priority: 9))
            #expect(try await store.claim(workerID: "w", count: 1).jobs.first?.id == old, "aging bounds how long low priority waits")
        }
    }

    @Test("a budget reserves at enqueue, refuses what it cannot cover until the period ends, and settles at the end", arguments: StoreKind.allCases)
    func budgets(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            func request(_ amount: Int64) -> EnqueueRequest {
                EnqueueRequest(
                    kind: "noop", payload: [], tenant: "payer",
                    budget: BudgetReservation(unit: .microUSD, period: .day, limit: 1000, amount: amount)
                )
            }
            let first = try await store.enqueue(request(400)).id
            _ = try await store.enqueue(request(400))
            let refused = await #expect(throws: QueueError.self) { try await store.enqueue(request(400)) }
            #expect(refused?.isBudgetExhausted == true)
            let untilMidnight = BudgetReservation.Period.day.remaining(at: clock.nowMilliseconds())
            #expect(refused?.retryAfter == .milliseconds(untilMidnight))
            #expect(try await store.budgetStatus(tenant: "payer", period: .day, unit: .microUSD) == BudgetStatus(reserved: 800, spent: 0, limit: 1000))

            // The first job ends having spent less than it reserved: the rest comes back.
            let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
            #expect(job.id == first)
            try await store.complete(job.lease, result: [], timings: ["embed": 12.5, "generate": 400], usage: [JobUsage.costMicroUSD: 150, JobUsage.tokens: 90])
            #expect(try await store.budgetStatus(tenant: "payer", period: .day, unit: .microUSD) == BudgetStatus(reserved: 400, spent: 150, limit: 1000))
            #expect(try await store.job(first)?.usage == [JobUsage.costMicroUSD: 150, JobUsage.tokens: 90])
            #expect(try await store.job(first)?.timings == ["embed": 12.5, "generate": 400])
            #expect(try await store.tenantStats().first { $0.tenant == "payer" }?.usage[JobUsage.costMicroUSD] == 150)
            _ = try await store.enqueue(request(400))

            // Jobs canceled while they wait release their reservations too.
            _ = try await store.cancelWaiting()
            #expect(try await store.budgetStatus(tenant: "payer", period: .day, unit: .microUSD).reserved == 0, "nothing leaks")
        }
    }

    @Test("a reclaimed job keeps its reservation until it ends, then releases it", arguments: StoreKind.allCases)
    func budgetAfterCrash(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.maxAttempts = 1 }) { harness in
            let store = harness.store
            let budget = BudgetReservation(unit: .tokens, period: .month, limit: 10_000, amount: 3000)
            _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [], tenant: "t", budget: budget))
            _ = try #require(try await store.claim(workerID: "dies", count: 1).jobs.first)
            #expect(try await harness.passTime(harness.configuration.lease + .seconds(1)).failed == 1)
            #expect(try await store.budgetStatus(tenant: "t", period: .month, unit: .tokens) == BudgetStatus(reserved: 0, spent: 0, limit: 10_000))
        }
    }

    @Test("a full queue says how long until it has room, from the rate jobs end", arguments: StoreKind.allCases)
    func queueFullRetryAfter(kind: StoreKind) async throws {
        try await withStore(kind, manualClock: true, configure: { $0.maxDepth = 10 }) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            // Thirty jobs end over thirty seconds: about one a second.
            for _ in 0..<30 {
                _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
                let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
                try await store.complete(job.lease, result: [], timings: [:])
                clock.advance(by: .seconds(1))
            }
            let rate = try await store.stats().endedPerSecond
            #expect(rate > 0.5 && rate < 1.1, "about one a second, exponentially weighted: \(rate)")
            _ = try await Self.enqueue(store, tenant: "-", count: 10)
            let full = await #expect(throws: QueueError.self) { try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])) }
            #expect(full?.isQueueFull == true)
            let wait = try #require(full?.retryAfter)
            #expect(wait >= .seconds(1) && wait <= .seconds(3), "one job to drain at about one a second: \(wait)")
        }
    }

    @Test("the rate of ends keeps one field per 10-minute epoch in Valkey, the current and the previous, and decays to nothing when no job ends")
    func endsRateStaysSmall() async throws {
        try await withQueue(manualClock: true) { harness in
            let clock = try #require(harness.clock)
            let throughput = try harness.configuration.keys().throughput
            func end(_ count: Int) async throws {
                for _ in 0..<count {
                    _ = try await harness.store.enqueue(EnqueueRequest(kind: "noop", payload: []))
                    let job = try #require(try await harness.store.claim(workerID: "w", count: 1).jobs.first)
                    try await harness.store.complete(job.lease, result: [], timings: [:])
                }
            }
            for _ in 0..<4 {
                try await end(3)
                clock.advance(by: .seconds(600))
            }
            try await end(1)
            #expect(try await harness.client.send("HLEN", throughput).int ?? 0 <= 2, "older epochs are dropped")
            let rate = try await harness.store.stats().endedPerSecond
            #expect(rate > 1.0 / 30 && rate < 1.01 / 30, "one end just now; those 10 minutes ago weigh e^-20: \(rate)")
            clock.advance(by: .seconds(600))
            #expect(try await harness.store.stats().endedPerSecond < 1e-6)
        }
    }
}
