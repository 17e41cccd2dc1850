import Foundation
import Testing
@testable import RAGQueue
@testable import RAGSimulator
import FakeBackends

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

    @Test("the ceiling is slots over mean service time; efficiency is the slot time on finished jobs over the slot time that had work")
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
        // 20 busy seconds over a 10-second window: 2 jobs in flight on average, half of 4 slots.
        #expect(close(saturated.meanInFlight, 2))
        #expect(close(saturated.utilisation, 0.5))
        // Jobs in the system: 10, 8, 6, 4, 2 for 2 s each, so 4 + 4 + 4 + 4 + 2 slots had work:
        // 36 slot-seconds, of which the two running slots used 20.
        #expect(close(saturated.efficiency, 20.0 / 36))

        // Offered below the ceiling, each job starting as it arrives: nothing waited, nothing was wasted.
        let light = try (0..<5).map { index in
            try Timeline.job(.finished, created: 3 + Double(index) * 2, started: 3 + Double(index) * 2, ended: 5 + Double(index) * 2)
        }
        let spare = Timeline.result(light, workers: 2, concurrency: 2)
        #expect(close(spare.offeredPerSecond, 0.5))
        #expect(close(spare.completedPerSecond, 0.5))
        #expect(close(spare.efficiency, 1))
        // The same jobs each waiting a second with every slot free: half the time that had work was not used.
        let idle = try (0..<5).map { index in
            try Timeline.job(.finished, created: 3 + Double(index) * 2, started: 4 + Double(index) * 2, ended: 5 + Double(index) * 2)
        }
        #expect(close(Timeline.result(idle, workers: 2, concurrency: 2).efficiency, 0.5))
    }

    /// The jobs of a queue run perfectly: `slots` slots take jobs first come, first served, with
    /// Poisson arrivals at `rate` from 0 until the window ends and service times of 1.0-2.2 s.
    static func perfectQueue(seed: UInt64, rate: Double, slots: Int) throws -> [Submission] {
        var random = SeededRandom(seed: seed)
        var free = Array(repeating: 0.0, count: slots)
        var jobs: [Submission] = []
        var arrival = 0.0
        while true {
            arrival += -log(1 - random.nextUnit()) / rate
            guard arrival < 13 else { break }
            let created = (arrival * 1000).rounded() / 1000
            let slot = free.indices.min { free[$0] < free[$1] } ?? 0
            let start = max(created, free[slot])
            let end = start + 1.0 + 1.2 * random.nextUnit()
            free[slot] = end
            if end <= 18 {
                jobs.append(try Timeline.job(.finished, created: created, started: start, ended: end))
            } else if start <= 18 {
                jobs.append(try Timeline.job(.started, created: created, started: start))
            } else {
                jobs.append(try Timeline.job(.queued, created: created))
            }
        }
        return jobs
    }

    @Test("efficiency never passes 1, though jobs of the warm-up end in the window; a perfectly run queue scores 1 at any load")
    func efficiencyAtMostOne() throws {
        var aboveOneByOldRatio = 0
        var withWarmupInWindow = 0
        for seed in UInt64(1)...20 {
            for (rate, slots) in [(20.0, 8), (2.0, 8), (9.0, 16)] {
                let jobs = try Self.perfectQueue(seed: seed, rate: rate, slots: slots)
                let warmupEndingInWindow = jobs.filter { job in
                    !job.measured && job.record?.endedAt.map { $0 >= Timeline.windowStart && $0 <= Timeline.windowEnd } == true
                }
                if !warmupEndingInWindow.isEmpty { withWarmupInWindow += 1 }
                let result = Timeline.result(jobs, workers: 1, concurrency: slots)
                #expect(result.efficiency <= 1, "seed \(seed), \(rate)/s on \(slots) slots")
                #expect(result.efficiency >= 0.99, "nothing was lost or left idle: seed \(seed), \(rate)/s on \(slots) slots")
                let oldRatio = result.completedPerSecond / min(result.offeredPerSecond, result.ceilingPerSecond)
                if oldRatio > 1 { aboveOneByOldRatio += 1 }
            }
        }
        // The schedules do hold the artefact: jobs of the warm-up end in the window, and jobs ending
        // in the window over min(offered, ceiling) passes 1.
        #expect(withWarmupInWindow >= 50)
        #expect(aboveOneByOldRatio > 0)
    }

    @Test("a saturated step whose slots are half idle, or whose jobs fail, scores accordingly")
    func efficiencyFallsWithIdleOrFailure() throws {
        // 4 slots, 20/s offered: two slots run 2-second jobs back to back, two run nothing.
        var busy = try (0..<20).map { index in
            try Timeline.job(.finished, created: 0, started: Double(index / 2) * 2, ended: Double(index / 2) * 2 + 2)
        }
        busy += try (0..<200).map { index in try Timeline.job(.queued, created: 3 + Double(index) * 0.05) }
        let halfIdle = Timeline.result(busy, workers: 1, concurrency: 4)
        #expect(close(halfIdle.efficiency, 0.5))
        // The same jobs failing: their slot-seconds did no useful work.
        let failing = busy.map { submission in
            var submission = submission
            if submission.record?.status == .finished { submission.record?.status = .failed }
            return submission
        }
        #expect(Timeline.result(failing, workers: 1, concurrency: 4).efficiency == 0)
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
