import Foundation
import Testing
@testable import RAGSimulator

@Suite("ragsim baseline check")
struct BaselineCheckTests {
    static let scenario = SimulationReport.Scenario(
        workers: "1,2", workerCounts: [1, 2], concurrency: 8, qps: 20, arrivals: "poisson", warmupSeconds: 3, durationSeconds: 10,
        drainSeconds: 5, profile: "openai-typical", seed: 1, submission: "api", embedded: ["valkey"], processors: 2
    )

    /// A report whose steps have these worker counts, done/s and efficiencies.
    static func report(_ steps: [(workers: Int, done: Double, efficiency: Double)], scenario: SimulationReport.Scenario = scenario)
        -> SimulationReport
    {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let results = steps.map { step in
            var result = StepResult(
                workers: step.workers, concurrency: 8, submissions: [], windowStart: start, windowEnd: start.addingTimeInterval(10),
                cutoff: start.addingTimeInterval(15)
            )
            result.completedPerSecond = step.done
            result.efficiency = step.efficiency
            return result
        }
        return SimulationReport(startedAt: "2026-01-01T00:00:00Z", scenario: scenario, steps: results)
    }

    static let baseline = report([(1, 5, 0.95), (2, 10, 0.95)])

    /// The check of a run with these steps against `baseline`.
    static func compare(_ steps: [(workers: Int, done: Double, efficiency: Double)], tolerance: Double = 20) throws
        -> (lines: [String], passed: Bool)
    {
        try BaselineCheck(baseline: baseline, tolerance: tolerance).compare(report(steps))
    }

    @Test("a run within the tolerance passes, each figure marked ok")
    func withinTolerance() throws {
        let (lines, passed) = try Self.compare([(1, 4.1, 0.8), (2, 12, 0.99)])
        #expect(passed)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.hasSuffix(" ok") })
        #expect(lines[0].hasPrefix("baseline: workers 1 completed/s 4.10 vs 5.00 (-18.0%"))
    }

    @Test("throughput beyond the tolerance fails and names the step and figure")
    func throughputRegression() throws {
        let (lines, passed) = try Self.compare([(1, 5, 0.95), (2, 7.9, 0.95)])
        #expect(!passed)
        #expect(lines.filter { $0.hasSuffix("REGRESSION") } == ["baseline: workers 2 completed/s 7.90 vs 10.00 (-21.0%, tolerance 20%) REGRESSION"])
    }

    @Test("efficiency beyond the tolerance fails even when throughput holds")
    func efficiencyRegression() throws {
        let (lines, passed) = try Self.compare([(1, 5, 0.5), (2, 10, 0.95)])
        #expect(!passed)
        #expect(lines.filter { $0.hasSuffix("REGRESSION") }.map { $0.contains("workers 1 efficiency") } == [true])
    }

    @Test("a worker doing half the work fails the check at make sim-check's tolerance")
    func halfTheWork() throws {
        let (_, passed) = try Self.compare([(1, 2.5, 0.95), (2, 5, 0.95)], tolerance: 25)
        #expect(!passed)
    }

    @Test("only shared worker counts compare; none shared is an error")
    func sharedSteps() throws {
        let (lines, passed) = try Self.compare([(2, 10, 0.95), (4, 1, 0.1)])
        #expect(passed)
        #expect(lines.count == 2)
        #expect(throws: SimulationError.self) { try Self.compare([(3, 10, 1)]) }
    }

    @Test("a different scenario is noted, not refused")
    func differentScenario() throws {
        var other = Self.scenario
        other.qps = 40
        let (lines, passed) = try BaselineCheck(baseline: Self.baseline, tolerance: 20).compare(Self.report([(1, 5, 0.95)], scenario: other))
        #expect(passed)
        #expect(lines.first?.hasPrefix("baseline: note: its scenario differs") == true)
    }

    @Test("the committed baseline reads back as a report with steps")
    func committedBaseline() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../bench/baseline.json").path
        let report = try SimulationReport.read(from: path)
        #expect(!report.steps.isEmpty)
        #expect(report.steps.map(\.workers) == report.scenario.workerCounts)
    }
}
