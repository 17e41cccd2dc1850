import Foundation
import Testing
@testable import RAGQueue
@testable import RAGSimulator

@Suite("ragsim step figures")
struct StepResultTests {
    /// A step's timeline in seconds from `origin`: warm-up [0, 3), window [3, 13), drain cut-off at 18.
    struct Timeline {
        static let origin = Date(timeIntervalSince1970: 1_800_000_000)
        static let windowStart = at(3)
        static let windowEnd = at(13)
        static let cutoff = at(18)

        static func at(_ seconds: Double) -> Date { origin.addingTimeInterval(seconds) }

        /// A submission sent at `created`, whose job is `status` with these times (seconds from the origin).
        static func job(
            _ status: JobStatus, created: Double, started: Double? = nil, ended: Double? = nil, measured: Bool? = nil
        ) throws -> Submission {
            var fields: [String: [UInt8]] = ["status": Array(status.rawValue.utf8), "kind": Array(RAGQuery.kind.utf8)]
            func stamp(_ name: String, _ seconds: Double?) {
                if let seconds { fields[name] = Array(String(at(seconds).epochMilliseconds).utf8) }
            }
            stamp("created_at", created)
            stamp("started_at", started)
            stamp("first_started_at", started)
            stamp("ended_at", ended)
            let record = try #require(try JobRecord(id: JobID(), fields: fields))
            return Submission(
                sentAt: at(created - 0.001), returnedAt: at(created + 0.001), measured: measured ?? (created >= 3), record: record
            )
        }

        static func refused(at seconds: Double) -> Submission {
            Submission(sentAt: at(seconds), returnedAt: at(seconds + 0.002), measured: seconds >= 3, record: nil, refusal: "429")
        }

        static func result(_ submissions: [Submission], workers: Int = 1, concurrency: Int = 8) -> StepResult {
            StepResult(
                workers: workers, concurrency: concurrency, submissions: submissions, windowStart: windowStart, windowEnd: windowEnd,
                cutoff: cutoff
            )
        }
    }

    /// Record times are whole milliseconds.
    private func close(_ value: Double?, _ expected: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) < 0.002
    }

    @Test("percentiles are ranks among finished jobs when every measured job finished")
    func percentilesAllFinished() throws {
        // Twenty jobs created 0.25 s apart from 3 s, taking 2.0 s down to 0.1 s.
        let jobs = try (0..<20).map { index in
            let created = 3 + Double(index) * 0.25
            return try Timeline.job(.finished, created: created, started: created, ended: created + Double(20 - index) * 0.1)
        }
        let result = Timeline.result(jobs)
        let latencies = (1...20).map { Double($0) * 0.1 }
        #expect(result.finished == 20)
        #expect(result.unfinished == 0)
        #expect(result.latency.samples == 20)
        #expect(result.latency.beyondCutoff == 0)
        #expect(close(result.latency.p50, latencies[9]))
        #expect(close(result.latency.p95, latencies[18]))
        #expect(close(result.latency.p99, latencies[19]))
        #expect(close(result.latency.max, latencies[19]))
    }

    @Test("unfinished jobs count as such and rank above every finished one")
    func unfinishedJobs() throws {
        // 17 finished in 0.5 to 8.5 s; one still running, one queued, one that ended only after the cut-off.
        var jobs = try (1...17).map { latency in
            try Timeline.job(.finished, created: 3, started: 3, ended: 3 + Double(latency) * 0.5)
        }
        jobs.append(try Timeline.job(.started, created: 4, started: 5))
        jobs.append(try Timeline.job(.queued, created: 4))
        jobs.append(try Timeline.job(.finished, created: 4, started: 5, ended: 19))
        let result = Timeline.result(jobs)
        #expect(result.submitted == 20)
        #expect(result.finished == 17)
        #expect(result.unfinished == 3)
        #expect(result.latency.samples == 17)
        #expect(result.latency.beyondCutoff == 3)
        // Rank 10 of 20 is the 10th fastest finished job (5 s); ranks 19 and 20 fall among the unfinished.
        #expect(close(result.latency.p50, 5))
        #expect(result.latency.p95 == nil)
        #expect(result.latency.p99 == nil)
        #expect(result.latency.max == nil)
        // The queued job never started: its wait is beyond the cut-off too.
        #expect(result.queueWait.beyondCutoff == 1)
        #expect(result.queueWait.samples == 19)
    }

    @Test("failed and refused submissions are counted apart from unfinished ones")
    func failedAndRefused() throws {
        let jobs = [
            try Timeline.job(.finished, created: 4, started: 4, ended: 6),
            try Timeline.job(.failed, created: 4, started: 4, ended: 5),
            Timeline.refused(at: 5),
            Timeline.refused(at: 1),
        ]
        let result = Timeline.result(jobs)
        #expect(result.submitted == 3)
        #expect(result.finished == 1)
        #expect(result.failed == 1)
        #expect(result.refused == 1)
        #expect(result.unfinished == 0)
        #expect(result.latency.samples == 1)
    }

    @Test("done/s counts jobs that finished inside the window, warm-up ones too; offered/s counts measured sends")
    func throughput() throws {
        let jobs = [
            try Timeline.job(.finished, created: 1, started: 1, ended: 2),  // ended before the window
            try Timeline.job(.finished, created: 1, started: 1, ended: 4),  // warm-up job ended inside
            try Timeline.job(.finished, created: 5, started: 5, ended: 6),
            try Timeline.job(.finished, created: 8, started: 8, ended: 12.5),
            try Timeline.job(.failed, created: 8, started: 8, ended: 9),  // failed: not done
            try Timeline.job(.finished, created: 12, started: 12, ended: 14),  // ended after the window
        ]
        let result = Timeline.result(jobs)
        #expect(close(result.windowSeconds, 10))
        #expect(close(result.completedPerSecond, 0.3))
        #expect(close(result.offeredPerSecond, 0.4))
    }

    @Test("the ceiling is slots over mean service time; efficiency is done/s over the lower of offered and ceiling")
    func ceilingAndEfficiency() throws {
        // 2 workers x 2 slots; ten 2-second jobs inside the window, 30 sent: offered 3/s, ceiling 2/s, done 1/s.
        var jobs = try (0..<10).map { index in
            try Timeline.job(.finished, created: 3, started: 3 + Double(index % 5) * 2, ended: 5 + Double(index % 5) * 2)
        }
        jobs += (0..<20).map { _ in Timeline.refused(at: 4) }
        let saturated = Timeline.result(jobs, workers: 2, concurrency: 2)
        #expect(close(saturated.meanServiceSeconds, 2))
        #expect(close(saturated.ceilingPerSecond, 2))
        #expect(close(saturated.offeredPerSecond, 3))
        #expect(close(saturated.completedPerSecond, 1))
        #expect(close(saturated.efficiency, 0.5))
        // 20 busy seconds over a 10-second window: 2 jobs in flight on average, half of 4 slots.
        #expect(close(saturated.meanInFlight, 2))
        #expect(close(saturated.utilisation, 0.5))

        // Offered below the ceiling: efficiency compares with the offered rate.
        let light = Timeline.result(Array(jobs.prefix(5)), workers: 2, concurrency: 2)
        #expect(close(light.offeredPerSecond, 0.5))
        #expect(close(light.completedPerSecond, 0.5))
        #expect(close(light.efficiency, 1))
    }

    @Test("a step with no submissions has zero figures, not a division by zero")
    func empty() {
        let result = Timeline.result([])
        #expect(result.submitted == 0)
        #expect(result.completedPerSecond == 0)
        #expect(result.efficiency == 0)
        #expect(result.ceilingPerSecond == 0)
        #expect(result.latency.p50 == nil)
        #expect(result.submitP95Seconds == 0)
    }
}
