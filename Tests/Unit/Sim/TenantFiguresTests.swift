import Foundation
import RAGQueue
import Testing
@testable import RAGSimulator

@Suite("ragsim tenants")
struct TenantFiguresTests {
    @Test("a --tenant value sets each named figure; the rest keep their defaults")
    func parse() throws {
        let full = try TenantSpec(parsing: "acme:weight=3:qps=2.5:burst=100:priority=8:concurrency=4:budget=5usd/day")
        #expect(full.name == "acme")
        #expect(full.weight == 3)
        #expect(full.qps == 2.5)
        #expect(full.burst == 100)
        #expect(full.priority == 8)
        #expect(full.concurrency == 4)
        #expect(full.budget == "5usd/day")
        let bare = try TenantSpec(parsing: "b")
        #expect(bare.weight == 1 && bare.qps == nil && bare.burst == 0 && bare.priority == nil && bare.budget == nil)
    }

    @Test("a bad --tenant value names what is wrong", arguments: [
        ("", "the name comes first"), ("a b", "the name comes first"), ("a:weight", "is not name=value"),
        ("a:weight=0", "weight must be above 0"), ("a:priority=12", "priority must be 0 to 9"),
        ("a:budget=5usd", "budget is AMOUNTusd"), ("a:colour=red", "unknown setting \"colour\""),
    ])
    func parseErrors(text: String, message: String) {
        #expect {
            try TenantSpec(parsing: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("the API's environment gives each tenant its key, weight, limit and budget")
    func environment() throws {
        let tenants = [try TenantSpec(parsing: "a:weight=3:concurrency=2"), try TenantSpec(parsing: "b:budget=1usd/month")]
        let environment = TenantSpec.environment(tenants)
        #expect(environment["API_KEYS"] == "ragsim-key-a:a,ragsim-key-b:b")
        #expect(environment["API_TENANT_WEIGHTS"] == "a=3.0,b=1.0")
        #expect(environment["API_TENANT_CONCURRENCY"] == "a=2")
        #expect(environment["API_TENANT_BUDGETS"] == "b=1usd/month")
        #expect(TenantSpec.environment([]).isEmpty)
    }

    @Test("Jain's index is 1 for equal shares per weight, 1/n when one tenant gets everything")
    func jain() {
        #expect(TenantResult.jain([2, 2, 2]) == 1)
        #expect(abs(TenantResult.jain([4, 0]) - 0.5) < 1e-12)
        #expect(abs(TenantResult.jain([3, 1]) - 0.8) < 1e-12)
    }

    @Test("a tenant's burst comes at once at the start; each tenant's queries carry its name and priority")
    func traffic() throws {
        var plan = StepTrafficTests.plan()
        plan.tenants = [try TenantSpec(parsing: "flood:burst=40:priority=2"), try TenantSpec(parsing: "steady:qps=4")]
        let traffic = plan.traffic(step: 0, collection: "corpus")
        let flood = traffic.filter { $0.tenant == "flood" }
        let steady = traffic.filter { $0.tenant == "steady" }
        #expect(flood.count == 40)
        #expect(flood.allSatisfy { $0.offset == .zero && $0.query.priority == 2 })
        #expect(steady.count == 20, "4 a second over 2 s of warm-up and 3 s of window")
        #expect(steady.allSatisfy { $0.query.priority == nil })
        #expect(traffic.map(\.offset) == traffic.map(\.offset).sorted())
    }

    @Test("figures per tenant: completions, share and whether it still had work waiting; fairness over the backlogged")
    func perTenant() throws {
        typealias Timeline = StepResultTests.Timeline
        // Tenant a (weight 3) finishes 6 jobs in the window and has one waiting all along; b (weight 1)
        // finishes 2 and has one waiting all along; c finishes 1 and sent one just before the end:
        // it waits for a moment, not throughout, so c asked for no more than it got.
        func jobs(_ tenant: String, finished: Int, waitingSince: Double?) throws -> [Submission] {
            var list = try (0..<finished).map { index in
                try Timeline.job(.finished, created: 3 + Double(index) * 0.5, started: 4 + Double(index) * 0.5, ended: 5 + Double(index) * 0.5)
            }
            if let waitingSince { list.append(try Timeline.job(.queued, created: waitingSince)) }
            return list.map { submission in
                var submission = submission
                submission.tenant = tenant
                return submission
            }
        }
        let submissions = try jobs("a", finished: 6, waitingSince: 2.5) + jobs("b", finished: 2, waitingSince: 3) + jobs("c", finished: 1, waitingSince: 12.5)
        let specs = [try TenantSpec(parsing: "a:weight=3"), try TenantSpec(parsing: "b"), try TenantSpec(parsing: "c")]
        let result = StepResult(
            workers: 1, concurrency: 4, submissions: submissions, windowStart: Timeline.windowStart, windowEnd: Timeline.windowEnd,
            cutoff: Timeline.cutoff, tenants: specs
        )
        let tenants = try #require(result.tenants)
        #expect(tenants.map(\.tenant) == ["a", "b", "c"])
        #expect(tenants.map(\.completedPerSecond) == [0.6, 0.2, 0.1])
        #expect(abs(tenants[0].share - 6.0 / 9.0) < 1e-9)
        #expect(tenants.map(\.backlogged) == [true, true, false])
        // Per unit of weight a and b both got 0.2 a second: perfectly fair; c is not counted.
        #expect(abs((result.fairness ?? 0) - 1) < 1e-9)
    }
}
