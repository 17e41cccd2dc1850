import Foundation
import RAGQueue

/// One submission as the simulator saw it, with the job record the queue kept.
struct Submission: Sendable {
    /// When the request left, by ragsim's wall clock.
    var sentAt: Date
    /// When the answer came back, by ragsim's wall clock.
    var returnedAt: Date
    /// Whether it was sent inside the measurement window (not during warm-up).
    var measured: Bool
    /// The job's record at the cut-off; nil when the submission was refused or the record is gone.
    var record: JobRecord?
    /// Why the submission was refused, if it was.
    var refusal: String?
    /// The tenant that sent it; nil when the run has none.
    var tenant: String? = nil
    /// When the answer was in hand, for a query the answer cache answered at submit.
    var cachedAnswerAt: Date? = nil
    /// The corpus question it meant, when ragsim generated it (its words may be a paraphrase).
    var intent: String? = nil
}

/// Latency percentiles in seconds; nil means "beyond the cut-off": the rank falls among jobs that
/// had not finished when the step's drain time ran out.
struct LatencySummary: Sendable, Codable, Hashable {
    var p50: Double?
    var p95: Double?
    var p99: Double?
    var max: Double?
    /// Jobs with a value.
    var samples: Int
    /// Jobs still unfinished at the cut-off, counted as slower than every sample.
    var beyondCutoff: Int

    /// Percentiles of `values`, with `censored` more values known only to exceed the cut-off.
    init(_ values: [Double], censored: Int) {
        let sorted = values.sorted()
        let total = sorted.count + censored
        func rank(_ quantile: Double) -> Double? {
            guard total > 0 else { return nil }
            let index = Int((quantile * Double(total)).rounded(.up)) - 1
            let clamped = Swift.max(0, Swift.min(index, total - 1))
            return clamped < sorted.count ? sorted[clamped] : nil
        }
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = censored > 0 ? nil : sorted.last
        samples = sorted.count
        beyondCutoff = censored
    }
}

/// Every figure of one step (one worker count), from the job records' timestamps.
struct StepResult: Sendable, Codable, Hashable {
    /// Worker processes.
    var workers: Int
    /// Jobs each worker runs at once.
    var concurrency: Int
    /// The measurement window's length, seconds.
    var windowSeconds: Double
    /// Queries sent per second inside the window (what was offered, as sent).
    var offeredPerSecond: Double
    /// Jobs that finished inside the window, per second, whenever they were sent (warm-up jobs
    /// included): the departure rate, what a dashboard of the queue would show as throughput.
    var completedPerSecond: Double
    /// Queries sent inside the window.
    var submitted: Int
    /// Measured jobs that finished.
    var finished: Int
    /// Measured jobs that failed for good.
    var failed: Int
    /// Measured submissions the system refused.
    var refused: Int
    /// Measured jobs not finished when the drain time ran out.
    var unfinished: Int
    /// End to end: `ended_at - created_at` of measured jobs, seconds.
    var latency: LatencySummary
    /// Queue wait: `first_started_at - created_at` of measured jobs (0 for answers from the cache;
    /// jobs that followed an equal one in flight left out), seconds.
    var queueWait: LatencySummary
    /// Mean `ended_at - started_at` of finished jobs, seconds.
    var meanServiceSeconds: Double
    /// Mean jobs being worked on during the window.
    var meanInFlight: Double
    /// Mean jobs in the system (waiting or running) during the window.
    var meanInSystem: Double
    /// `meanInFlight / (workers x concurrency)`.
    var utilisation: Double
    /// `workers x concurrency / meanServiceSeconds`: the most jobs per second these workers can finish.
    var ceilingPerSecond: Double
    /// How much of what the workers could have done in the window they did, 0...1 (see
    /// `docs/simulation.md`): the slot-seconds of the window spent on jobs that finished, over the
    /// slot-seconds that had work, the integral of `min(slots, jobs in the system)`. A queue that
    /// wastes nothing runs that many jobs at every instant and scores 1 at any load; idle slots
    /// while jobs waited, attempts that failed or died with their worker score less. It cannot
    /// pass 1 (each running job is in the system), as jobs ending in the window over
    /// `min(offered, ceiling)` could: jobs of the warm-up end in the window too.
    var efficiency: Double
    /// Submission round trip by ragsim's clock, p50 and p95, seconds.
    var submitP50Seconds: Double
    var submitP95Seconds: Double
    /// Records whose `created_at` lies outside [sent, returned] by more than 50 ms (clock cross-check).
    var clockMismatches: Int
    /// Each tenant's figures, when the run has tenants.
    var tenants: [TenantResult]? = nil
    /// Jain's fairness index of the backlogged tenants' weighted completions (see `TenantResult.fairness`).
    var fairness: Double? = nil
    /// 429 answers the (fake) model provider gave during the step; nil when not known.
    var provider429s: Int? = nil
    /// Calls the (fake) model provider answered during the step; nil when not known.
    var providerCalls: Int? = nil
    /// The step second by second; nil in reports written before timelines.
    var timeline: StepTimeline? = nil
    /// Measured queries the answer cache answered at submit; nil when it answered none.
    var cacheHits: Int? = nil
    /// For those, from the submit until the answer was in hand (the 202), seconds.
    var cacheHitLatency: LatencySummary? = nil
    /// Measured queries that followed an equal one in flight instead of running; nil when none did.
    var coalesced: Int? = nil
    /// Measured queries a worker answered with a similar question's answer (besides `cacheHits`);
    /// nil when none was.
    var semanticHits: Int? = nil
    /// Of those, the ones whose answer came from a query that meant another question; nil when
    /// there were no semantic hits or the intents are unknown (a trace).
    var falseHits: Int? = nil

    /// The figures of `submissions` for a window `[windowStart, windowEnd]`; jobs not ended at
    /// `cutoff` are unfinished. With `tenants`, each tenant's figures too.
    init(
        workers: Int, concurrency: Int, submissions: [Submission], windowStart: Date, windowEnd: Date, cutoff: Date,
        tenants specs: [TenantSpec] = []
    ) {
        self.workers = workers
        self.concurrency = concurrency
        let window = Swift.max(0.001, windowEnd.timeIntervalSince(windowStart))
        windowSeconds = window
        let measured = submissions.filter(\.measured)
        submitted = measured.count
        offeredPerSecond = Double(measured.count) / window
        refused = measured.filter { $0.refusal != nil }.count

        func ended(_ record: JobRecord) -> Date? {
            guard let end = record.endedAt, end <= cutoff, record.status == .finished || record.status == .failed else { return nil }
            return end
        }
        let records = submissions.compactMap(\.record)
        completedPerSecond = Double(records.filter { record in
            guard record.status == .finished, let end = ended(record) else { return false }
            return end >= windowStart && end <= windowEnd
        }.count) / window

        let measuredRecords = measured.compactMap(\.record)
        var latencies: [Double] = []
        var waits: [Double] = []
        var notStarted = 0
        var finished = 0
        var failed = 0
        for record in measuredRecords {
            if record.coalescedWith != nil {
                // Followed an equal question in flight: it was never in the queue.
            } else if record.cachedFrom != nil && record.similarity == nil {
                waits.append(0)  // answered at submit: it never waited for a worker
            } else if let start = record.firstStartedAt, start <= cutoff {
                waits.append(start.timeIntervalSince(record.createdAt))
            } else {
                notStarted += 1
            }
            guard let end = ended(record) else { continue }
            if record.status == .finished {
                finished += 1
                latencies.append(end.timeIntervalSince(record.createdAt))
            } else {
                failed += 1
            }
        }
        self.finished = finished
        self.failed = failed
        unfinished = measuredRecords.count - finished - failed
        latency = LatencySummary(latencies, censored: unfinished)
        queueWait = LatencySummary(waits, censored: notStarted)

        let services = records.compactMap { record -> Double? in
            guard record.status == .finished, let end = ended(record), let start = record.startedAt else { return nil }
            return end.timeIntervalSince(start)
        }
        meanServiceSeconds = services.isEmpty ? 0 : services.reduce(0, +) / Double(services.count)

        func overlap(_ from: Date?, _ to: Date?) -> Double {
            guard let from else { return 0 }
            let end = Swift.min(to ?? cutoff, windowEnd)
            return Swift.max(0, end.timeIntervalSince(Swift.max(from, windowStart)))
        }
        // The last attempt only: a job waiting for a retry is not in flight.
        meanInFlight = records.reduce(0) { total, record in
            let running = record.status == .started || ended(record) != nil
            return total + (running ? overlap(record.startedAt, ended(record)) : 0)
        } / window
        meanInSystem = records.reduce(0) { $0 + overlap($1.createdAt, ended($1)) } / window
        let slots = Double(workers * concurrency)
        utilisation = meanInFlight / slots
        ceilingPerSecond = meanServiceSeconds > 0 ? slots / meanServiceSeconds : 0
        let usefulSlotSeconds = records.reduce(0) { total, record in
            record.status == .finished && ended(record) != nil ? total + overlap(record.startedAt, ended(record)) : total
        }
        // Jobs in the system over the window, as +1/-1 steps; the slot-seconds that had work. A job
        // following an equal one in flight is not work for a slot: it waits for that one by design.
        var steps: [(at: Double, change: Int)] = []
        for record in records where record.coalescedWith == nil {
            let from = Swift.max(record.createdAt, windowStart).timeIntervalSince(windowStart)
            let left = record.endedAt.flatMap { $0 <= cutoff ? $0 : nil } ?? cutoff
            let to = Swift.min(left, windowEnd).timeIntervalSince(windowStart)
            guard to > from else { continue }
            steps += [(from, 1), (to, -1)]
        }
        steps.sort { ($0.at, $0.change) < ($1.at, $1.change) }
        var inSystem = 0
        var last = 0.0
        var withWork = 0.0
        for step in steps {
            withWork += Swift.min(slots, Double(inSystem)) * (step.at - last)
            inSystem += step.change
            last = step.at
        }
        efficiency = withWork > 0 ? usefulSlotSeconds / withWork : 0

        // Hits are the records' (answered from the cache); their times, where the client saw them.
        let hitCount = measuredRecords.filter { $0.cachedFrom != nil && $0.similarity == nil }.count
        let hitTimes = measured.compactMap { submission in submission.cachedAnswerAt.map { $0.timeIntervalSince(submission.sentAt) } }
        if hitCount > 0 { cacheHits = hitCount }
        if !hitTimes.isEmpty { cacheHitLatency = LatencySummary(hitTimes, censored: 0) }
        let followers = measuredRecords.filter { $0.coalescedWith != nil }.count
        if followers > 0 { coalesced = followers }
        let similar = measured.filter { $0.record?.similarity != nil }
        if !similar.isEmpty {
            semanticHits = similar.count
            var intents: [JobID: String] = [:]
            for submission in submissions { if let id = submission.record?.id, let intent = submission.intent { intents[id] = intent } }
            let judged = similar.compactMap { submission -> Bool? in
                guard let intent = submission.intent, let source = submission.record?.cachedFrom.flatMap({ intents[$0] }) else { return nil }
                return source != intent
            }
            if judged.count == similar.count { falseHits = judged.filter { $0 }.count }
        }

        let trips = submissions.map { $0.returnedAt.timeIntervalSince($0.sentAt) }.sorted()
        submitP50Seconds = trips.isEmpty ? 0 : trips[(trips.count - 1) / 2]
        submitP95Seconds = trips.isEmpty ? 0 : trips[Int((0.95 * Double(trips.count)).rounded(.up)) - 1]
        clockMismatches = submissions.filter { submission in
            guard let created = submission.record?.createdAt else { return false }
            return created < submission.sentAt.addingTimeInterval(-0.05) || created > submission.returnedAt.addingTimeInterval(0.05)
        }.count
        if !specs.isEmpty {
            let completed = Int((completedPerSecond * window).rounded())
            let results = specs.map { spec in
                TenantResult(
                    tenant: spec, submissions: submissions.filter { $0.tenant == spec.name }, windowStart: windowStart,
                    windowEnd: windowEnd, cutoff: cutoff, totalCompleted: completed
                )
            }
            tenants = results
            fairness = TenantResult.fairness(results)
        }
    }
}
