import Foundation
import Testing
@testable import RAGQueue
@testable import RAGSimulator

@Suite("ragsim timelines")
struct StepTimelineTests {
    typealias Timeline = StepResultTests.Timeline
    typealias Elements = SimulationChartTests.Elements

    /// Three jobs on the step timeline of `StepResultTests` (traffic from 0, window 3-13, cut-off 18):
    /// one finished (waits 0.5 s, runs 1.0-3.5), one failed (runs 2.0-4.25), one never started.
    static func jobs() throws -> [Submission] {
        [
            try Timeline.job(.finished, created: 0.5, started: 1.0, ended: 3.5),
            try Timeline.job(.failed, created: 2.0, started: 2.0, ended: 4.25),
            try Timeline.job(.queued, created: 16.0),
        ]
    }

    static func timeline(_ submissions: [Submission]) -> StepTimeline {
        StepTimeline(
            submissions: submissions, start: Timeline.origin, windowStart: Timeline.windowStart, windowEnd: Timeline.windowEnd,
            cutoff: Timeline.cutoff
        )
    }

    private func close(_ value: Double?, _ expected: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) < 0.002
    }

    @Test("each second counts the jobs that ended in it, averages those running and waiting, and takes the p95 of the finished")
    func seconds() throws {
        let timeline = Self.timeline(try Self.jobs())
        #expect(timeline.seconds.map(\.at) == Array(0..<18), "from the start of traffic to the cut-off")
        #expect(close(timeline.windowStartSeconds, 3) && close(timeline.windowEndSeconds, 13))
        #expect(timeline.seconds.map(\.completed) == (0..<18).map { $0 == 3 ? 1 : 0 })
        #expect(timeline.seconds.map(\.failed) == (0..<18).map { $0 == 4 ? 1 : 0 })
        // Running: the first job 1.0-3.5, the second 2.0-4.25.
        let inFlight = [0, 1, 2, 1.5, 0.25] + Array(repeating: 0.0, count: 13)
        #expect(zip(timeline.seconds.map(\.inFlight), inFlight).allSatisfy { abs($0 - $1) < 0.002 })
        // Waiting: the first job 0.5-1.0; the third from 16 to the cut-off.
        let waiting = [0.5] + Array(repeating: 0.0, count: 15) + [1, 1]
        #expect(zip(timeline.seconds.map(\.waiting), waiting).allSatisfy { abs($0 - $1) < 0.002 })
        #expect(close(timeline.seconds[3].p95Seconds, 3.0))
        #expect(timeline.seconds.enumerated().allSatisfy { $0.offset == 3 || $0.element.p95Seconds == nil })
    }

    @Test("the timeline's seconds add up to the step's figures: finished jobs and mean jobs in flight over the window")
    func agreesWithStep() throws {
        let jobs = try StepResultTests.perfectQueue(seed: 7, rate: 20, slots: 8)
        let timeline = Self.timeline(jobs)
        let step = Timeline.result(jobs, workers: 1, concurrency: 8)
        let inWindow = timeline.seconds[3..<13]
        #expect(close(Double(inWindow.map(\.completed).reduce(0, +)) / 10, step.completedPerSecond))
        #expect(close(inWindow.map(\.inFlight).reduce(0, +) / 10, step.meanInFlight))
        #expect(timeline.seconds.map(\.completed).reduce(0, +) == jobs.filter { $0.record?.status == .finished }.count)
    }

    @Test("the timeline SVG draws each series with its per-second values and a line per fault of a chaos run")
    func chart() throws {
        var report = SimulationChartTests.sample
        report.steps = [report.steps[0]]
        report.steps[0].timeline = Self.timeline(try Self.jobs())
        let faults = [
            ChaosLedger.FaultRecord(kind: "kill-worker", atSeconds: 5, detail: "SIGKILL worker 1", heldJobs: 3),
            ChaosLedger.FaultRecord(kind: "restart-valkey", atSeconds: 9.5, detail: "restarted", heldJobs: 0),
        ]
        report.chaos = ChaosLedger(
            plan: "kill-worker=5,restart-valkey=9.5", lease: .seconds(15), records: [:], notAccepted: 0, resubmissions: 0, enqueued: 0,
            refusedWrites: 0, faults: faults
        )
        let elements = try #require(Elements.parse(TimelineChart(report: report).render()), "well-formed XML")
        let series = elements.all.filter { $0.name == "g" }.map(\.attributes)
        #expect(series.map { $0["class"] } == ["completed", "failed", "in-flight", "waiting", "p95-latency"])
        let completed = try #require(series.first?["data-values"]).split(separator: ",", omittingEmptySubsequences: false)
        #expect(completed.map { Int($0) } == (0..<18).map { $0 == 3 ? 1 : 0 })
        let p95 = try #require(series.last?["data-values"]).split(separator: ",", omittingEmptySubsequences: false)
        #expect(p95.enumerated().allSatisfy { $0.offset == 3 ? $0.element == "3" : $0.element.isEmpty }, "empty where no job finished")
        let lines = elements.all.filter { $0.name == "line" && $0.attributes["class"] == "fault" }.map(\.attributes)
        #expect(lines.map { $0["data-kind"] } == ["kill-worker", "restart-valkey"])
        #expect(lines.map { $0["data-at"] } == ["5", "9.5"])
        #expect(elements.named("rect", class: "plot").count == 3)
    }

    @Test("a report written before timelines draws a page that says so")
    func noTimeline() throws {
        let elements = try #require(Elements.parse(TimelineChart(report: SimulationChartTests.sample).render()))
        #expect(elements.texts.contains { $0.contains("no timeline") })
    }
}
