import FakeBackends
import Foundation
import RAGQueue

/// The queue model run through one step as ragsim runs it: the step's own arrivals, `slots` slots
/// taking jobs first come, first served, service times drawn from the measured ones, the same
/// warm-up, window and drain. Its jobs become records that go through `StepResult`, the arithmetic
/// of measured steps, so the model's figures and the measurement's mean the same thing, including
/// a run too short for the steady state (a backlog still growing, p95 beyond the drain).
struct ModelRun: Sendable {
    /// Arrival offsets from the start of the step, seconds, ascending.
    var arrivals: [Double]
    var warmup: Double
    var duration: Double
    var drain: Double
    var service: MeasuredTimes
    var seed: UInt64

    /// The step's figures for `workers` x `concurrency` slots.
    func step(workers: Int, concurrency: Int) -> StepResult {
        let (submissions, cutoff) = jobs(slots: workers * concurrency)
        let windowStart = Self.origin.addingTimeInterval(warmup)
        return StepResult(
            workers: workers, concurrency: concurrency, submissions: submissions, windowStart: windowStart,
            windowEnd: windowStart.addingTimeInterval(duration), cutoff: cutoff
        )
    }

    static let origin = Date(timeIntervalSince1970: 0)

    /// The modelled jobs and the drain's cut-off: the window's end plus the drain, or earlier when
    /// the last job ended before.
    func jobs(slots: Int) -> ([Submission], Date) {
        var random = SeededRandom(mixing: seed, 0x3A_0DE1)
        var free = Array(repeating: 0.0, count: max(1, slots))
        var times: [(created: Double, start: Double, end: Double)] = []
        let end = warmup + duration
        for arrival in arrivals where arrival < end {
            let slot = free.indices.min { free[$0] < free[$1] } ?? 0
            let start = max(arrival, free[slot])
            let sample = service.samples.isEmpty ? 0 : service.samples[Int(random.next() % UInt64(service.samples.count))]
            free[slot] = start + sample
            times.append((arrival, start, start + sample))
        }
        let lastEnd = times.map(\.end).max() ?? end
        let cutoff = min(end + drain, max(end, lastEnd))
        let submissions = times.map { time -> Submission in
            let created = Self.origin.addingTimeInterval(time.created)
            let status: JobStatus = time.end <= cutoff ? .finished : (time.start <= cutoff ? .started : .queued)
            let record = JobRecord(
                kind: RAGQuery.kind, status: status, createdAt: created,
                startedAt: time.start <= cutoff ? Self.origin.addingTimeInterval(time.start) : nil,
                endedAt: time.end <= cutoff ? Self.origin.addingTimeInterval(time.end) : nil
            )
            return Submission(sentAt: created, returnedAt: created, measured: time.created >= warmup, record: record)
        }
        return (submissions, Self.origin.addingTimeInterval(cutoff))
    }
}
