import Foundation
import RAGQueue

/// One step second by second, from the job records' timestamps: what ended, what ran, what waited
/// and how long the jobs that ended took. Second 0 starts when the step's traffic starts (the
/// clock of a chaos run's fault times too); the last second holds the drain's cut-off.
struct StepTimeline: Sendable, Codable, Hashable {
    /// One second of the step, `[at, at + 1)`.
    struct Second: Sendable, Codable, Hashable {
        /// Seconds from the start of the traffic.
        var at: Int
        /// Jobs that finished in this second.
        var completed: Int
        /// Jobs that failed for good in this second.
        var failed: Int
        /// Jobs being worked on, on average over the second (their last attempt).
        var inFlight: Double
        /// Jobs accepted and not yet started, on average over the second: the queue's depth.
        var waiting: Double
        /// p95 end-to-end latency of the jobs that finished in this second; nil when none did.
        var p95Seconds: Double?
    }

    /// Where the measurement window lies, seconds from the start of the traffic.
    var windowStartSeconds: Double
    var windowEndSeconds: Double
    var seconds: [Second]

    /// The timeline of `submissions`, whose traffic started at `start`, with the window
    /// `[windowStart, windowEnd]`; jobs not ended at `cutoff` are counted as still running or waiting.
    init(submissions: [Submission], start: Date, windowStart: Date, windowEnd: Date, cutoff: Date) {
        windowStartSeconds = windowStart.timeIntervalSince(start)
        windowEndSeconds = windowEnd.timeIntervalSince(start)
        let length = max(0, Int(cutoff.timeIntervalSince(start).rounded(.up)))
        var seconds = (0..<length).map { Second(at: $0, completed: 0, failed: 0, inFlight: 0, waiting: 0, p95Seconds: nil) }
        var latencies = Array(repeating: [Double](), count: length)

        func second(of date: Date) -> Int? {
            let offset = date.timeIntervalSince(start)
            guard offset >= 0 else { return nil }
            let index = Int(offset.rounded(.down))
            return index < length ? index : nil
        }
        /// Adds the part of `[from, to)` that lies in each second to that second's `field`.
        func spread(_ from: Date, _ to: Date, into field: WritableKeyPath<Second, Double>) {
            let low = max(0, from.timeIntervalSince(start))
            let high = min(Double(length), to.timeIntervalSince(start))
            guard high > low else { return }
            for index in Int(low.rounded(.down))..<min(length, Int(high.rounded(.up))) {
                let overlap = min(high, Double(index + 1)) - max(low, Double(index))
                if overlap > 0 { seconds[index][keyPath: field] += overlap }
            }
        }

        for record in submissions.compactMap(\.record) {
            let end = record.endedAt.flatMap { $0 <= cutoff && (record.status == .finished || record.status == .failed) ? $0 : nil }
            if let end, let index = second(of: end) {
                if record.status == .finished {
                    seconds[index].completed += 1
                    latencies[index].append(end.timeIntervalSince(record.createdAt))
                } else {
                    seconds[index].failed += 1
                }
            }
            spread(record.createdAt, record.firstStartedAt ?? end ?? cutoff, into: \.waiting)
            if let started = record.startedAt, record.status == .started || end != nil {
                spread(started, end ?? cutoff, into: \.inFlight)
            }
        }
        // The last second may end early, at the cut-off: its averages are over what it had.
        let last = cutoff.timeIntervalSince(start) - Double(length - 1)
        if length > 0, last > 0, last < 1 {
            seconds[length - 1].inFlight /= last
            seconds[length - 1].waiting /= last
        }
        for index in seconds.indices {
            seconds[index].p95Seconds = LatencySummary(latencies[index], censored: 0).p95
        }
        self.seconds = seconds
    }
}
