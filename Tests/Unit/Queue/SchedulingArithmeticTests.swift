import Foundation
import Testing
@testable import RAGQueue

/// The arithmetic of scheduling and budgets, with no store: the fair-share rotation, ranks, budget
/// periods, token buckets and usage sums.
@Suite("Scheduling and budget arithmetic")
struct SchedulingArithmeticTests {
    /// Serves `claims` jobs from a scheduler holding plenty for each tenant; returns the tenants.
    static func rotation(weights: [String: Double], claims: Int) -> [String] {
        var scheduler = FairShareScheduler()
        for (tenant, weight) in weights {
            scheduler.configure(tenant, weight: weight, limit: nil)
            for index in 0..<claims { scheduler.push(JobID(), tenant: tenant, rank: Int64(index)) }
        }
        var served: [String] = []
        for _ in 0..<claims {
            guard let (tenant, pass, id) = scheduler.popNext(), id != nil else { break }
            scheduler.charge(tenant, pass: pass)
            scheduler.activate(tenant)
            scheduler.leave(tenant)
            served.append(tenant)
        }
        return served
    }

    /// Jain's fairness index of `shares`: 1 when all are equal, 1/n when one has everything.
    static func jain(_ shares: [Double]) -> Double {
        let sum = shares.reduce(0, +)
        return sum * sum / (Double(shares.count) * shares.reduce(0) { $0 + $1 * $1 })
    }

    @Test("claims follow the weights", arguments: [[1.0, 1.0], [3.0, 1.0], [1.0, 2.0, 5.0], [0.5, 0.25]])
    func proportional(weights: [Double]) {
        let named = Dictionary(uniqueKeysWithValues: weights.enumerated().map { ("t\($0.offset)", $0.element) })
        let claims = 800
        let served = Self.rotation(weights: named, claims: claims)
        let total = weights.reduce(0, +)
        for (tenant, weight) in named {
            let expected = Double(claims) * weight / total
            let got = Double(served.filter { $0 == tenant }.count)
            #expect(abs(got - expected) <= 1, "\(tenant) weight \(weight): \(got) of \(claims), expected \(expected)")
        }
        let normalized = named.keys.sorted().map { tenant in Double(served.filter { $0 == tenant }.count) / (named[tenant] ?? 1) }
        #expect(Self.jain(normalized) > 0.999)
    }

    @Test("a newcomer starts at the virtual time: served next, with no credit for idling")
    func newcomer() {
        var scheduler = FairShareScheduler()
        for index in 0..<100 { scheduler.push(JobID(), tenant: "a", rank: Int64(index)) }
        for _ in 0..<50 {
            let (tenant, pass, _) = scheduler.popNext()!
            scheduler.charge(tenant, pass: pass)
            scheduler.activate(tenant)
        }
        scheduler.push(JobID(), tenant: "b", rank: 0)
        scheduler.push(JobID(), tenant: "b", rank: 1)
        let served = (0..<4).map { _ -> String in
            let (tenant, pass, _) = scheduler.popNext()!
            scheduler.charge(tenant, pass: pass)
            scheduler.activate(tenant)
            return tenant
        }
        #expect(served == ["b", "a", "b", "a"], "b alternates with a rather than catching up on 50 claims")
    }

    @Test("a tenant at its limit waits, blocked, until one of its jobs leaves")
    func limit() {
        var scheduler = FairShareScheduler()
        scheduler.configure("t", weight: nil, limit: 1)
        scheduler.push(JobID(), tenant: "t", rank: 0)
        scheduler.push(JobID(), tenant: "t", rank: 1)
        let (tenant, pass, _) = scheduler.popNext()!
        scheduler.charge(tenant, pass: pass)
        scheduler.activate(tenant)
        #expect(scheduler.popNext() == nil)
        #expect(scheduler.blocked == ["t"])
        scheduler.leave("t")
        #expect(scheduler.blocked.isEmpty)
        #expect(scheduler.popNext()?.tenant == "t")
    }

    @Test("ranks: priority steps ahead, age wins after enough steps, one millisecond keeps its order")
    func ranks() {
        let step = Duration.seconds(60)
        let now: Int64 = 1_800_000_000_000
        #expect(EnqueueRequest.rank(createdAt: now, priority: 9, step: step, sequence: 1) < EnqueueRequest.rank(createdAt: now, priority: 5, step: step, sequence: 0))
        #expect(EnqueueRequest.rank(createdAt: now, priority: 5, step: step, sequence: 7) < EnqueueRequest.rank(createdAt: now, priority: 5, step: step, sequence: 8))
        #expect(EnqueueRequest.rank(createdAt: now - 9 * 60_000 - 1, priority: 0, step: step, sequence: 0)
            < EnqueueRequest.rank(createdAt: now, priority: 9, step: step, sequence: 0))
        #expect(EnqueueRequest.rank(createdAt: now, priority: 9, step: step, sequence: 999) < 1 << 53, "exact as a Valkey score")
    }

    @Test("budget periods are UTC days and months, with the time left until they end")
    func periods() throws {
        let formatter = ISO8601DateFormatter()
        let instant = try #require(formatter.date(from: "2026-11-30T23:59:00Z")).epochMilliseconds
        #expect(BudgetReservation.Period.day.id(at: instant) == "d20261130")
        #expect(BudgetReservation.Period.month.id(at: instant) == "m202611")
        #expect(BudgetReservation.Period.day.remaining(at: instant) == 60_000)
        #expect(BudgetReservation.Period.month.remaining(at: instant) == 60_000)
        let january = try #require(formatter.date(from: "2027-01-15T12:00:00Z")).epochMilliseconds
        #expect(BudgetReservation.Period.month.remaining(at: january) == Int64(16.5 * 86_400_000))
    }

    @Test("usage adds counter by counter and drops zeros")
    func usage() {
        let sum: JobUsage = [JobUsage.tokens: 10, JobUsage.costMicroUSD: 5] + [JobUsage.tokens: 2, JobUsage.vectorSearches: 1]
        #expect(sum == [JobUsage.tokens: 12, JobUsage.costMicroUSD: 5, JobUsage.vectorSearches: 1])
        #expect(JobUsage([JobUsage.tokens: 0]).counters.isEmpty)
        #expect(sum.json == #"{"cost_micro_usd":5,"tokens":12,"vector_searches":1}"#)
    }

    @Test("a token bucket refills at its rate up to its capacity")
    func bucket() {
        let bucket = TokenBucket(capacity: 2, refillPerSecond: 4)
        var (tokens, decision) = bucket.take(tokens: 2, elapsedMilliseconds: 0)
        #expect(decision.allowed && tokens == 1)
        (tokens, decision) = bucket.take(tokens: tokens, elapsedMilliseconds: 0)
        (tokens, decision) = bucket.take(tokens: tokens, elapsedMilliseconds: 0)
        #expect(!decision.allowed && decision.retryAfter == .milliseconds(250))
        (tokens, decision) = bucket.take(tokens: tokens, elapsedMilliseconds: 10_000)
        #expect(decision.allowed && tokens == 1, "refilled to the capacity, not beyond")
    }

    @Test("the circuit opens for twice as long on each failed probe, up to its maximum; outages are 5xx, timeouts and broken connections")
    func circuit() {
        var policy = CircuitPolicy()
        policy.openFor = .seconds(2)
        policy.maximumOpen = .seconds(30)
        #expect((1...6).map { policy.openLength(trip: $0) } == [.seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
        #expect(policy.openLength(trip: 10_000) == .seconds(30))
        let outage = ["server_error", "timeout", "connection"].map { JobFailure(code: $0, message: "", transient: true).isBackendOutage }
        #expect(outage == [true, true, true])
        let notOutage = [("rate_limited", true), ("collection_not_found", false), ("server_error", false), ("internal", false)]
            .map { JobFailure(code: $0.0, message: "", transient: $0.1).isBackendOutage }
        #expect(notOutage == [false, false, false, false])
    }
}
