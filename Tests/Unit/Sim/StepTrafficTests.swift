import Foundation
import RAGQueue
import Testing
@testable import RAGSimulator

@Suite("ragsim step traffic")
struct StepTrafficTests {
    static func plan(trace: QueryTrace? = nil) -> SimulationStep.Plan {
        SimulationStep.Plan(
            concurrency: 8, qps: 10, arrivals: .constant, warmup: .seconds(2), duration: .seconds(3), drain: .seconds(5), seed: 1,
            questions: ["a", "b", "c"], runPrefix: "ragsim-test", fixedPrefix: nil, apiKey: nil, ragserve: "ragserve",
            logDirectory: URL(fileURLWithPath: "/nonexistent"), progress: false, trace: trace
        )
    }

    @Test("generated traffic covers warm-up and window at qps, cycling through the questions")
    func generated() {
        let traffic = Self.plan().traffic(step: 0, collection: "corpus")
        #expect(traffic.count == 50)
        #expect(traffic.prefix(4).map(\.query.query) == ["a", "b", "c", "a"])
        #expect(traffic.allSatisfy { $0.query.collection == "corpus" && $0.offset < .seconds(5) })
    }

    @Test("every step of a run sends the same arrivals and questions for one seed; drawn per step, they differ")
    func commonRandomNumbers() throws {
        var poisson = Self.plan()
        poisson.arrivals = .poisson
        poisson.questions = (0..<50).map { "question \($0)" }
        let steps = (0..<4).map { poisson.traffic(step: $0, collection: "corpus") }
        #expect(steps.count == 4 && !steps[0].isEmpty)
        #expect(steps.allSatisfy { $0 == steps[0] }, "one arrival sequence and question order for every step")
        var apart = poisson
        apart.drawPerStep = true
        #expect(apart.traffic(step: 0, collection: "corpus") == steps[0], "the first step is the same either way")
        #expect(apart.traffic(step: 1, collection: "corpus") != steps[0], "a step of its own draws other arrivals")
        var tenants = poisson
        tenants.tenants = [try TenantSpec(parsing: "alpha:qps=3"), try TenantSpec(parsing: "beta:qps=5:burst=4")]
        #expect(tenants.traffic(step: 3, collection: "corpus") == tenants.traffic(step: 0, collection: "corpus"), "tenants' arrivals too")
    }

    @Test("a trace replaces the generated traffic, cut at the window's end")
    func traced() throws {
        let lines = (0..<8).map { #"{"offset": \#($0), "question": "q\#($0)", "collection": "other"}"# }
        let trace = try QueryTrace(text: lines.joined(separator: "\n"), source: "t")
        let traffic = Self.plan(trace: trace).traffic(step: 1, collection: "corpus")
        #expect(traffic.map(\.query.query) == ["q0", "q1", "q2", "q3", "q4"])
        #expect(traffic.map(\.offset) == (0..<5).map { .seconds($0) })
        #expect(traffic.allSatisfy { $0.query.collection == "other" })
    }
}
