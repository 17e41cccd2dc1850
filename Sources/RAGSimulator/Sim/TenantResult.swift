import Foundation
import RAGQueue

/// One tenant's figures in one step: what it offered and got, how long it waited, what it used.
struct TenantResult: Sendable, Codable, Hashable {
    var tenant: String
    var weight: Double
    /// Queries it sent inside the window, per second (its burst included).
    var offeredPerSecond: Double
    /// Its jobs that finished inside the window, per second.
    var completedPerSecond: Double
    /// Its share of every job that finished inside the window.
    var share: Double
    /// Queue wait of its measured jobs, seconds.
    var queueWait: LatencySummary
    /// End to end of its measured jobs, seconds.
    var latency: LatencySummary
    /// Its measured submissions the API refused (budget spent, queue full).
    var refused: Int
    /// Model tokens its jobs that finished inside the window used.
    var tokens: Int64
    /// What its jobs that finished inside the window cost, US dollars.
    var costUSD: Double
    /// Whether it had work waiting throughout the window: only such tenants' shares show fairness.
    var backlogged: Bool

    /// The figures of `tenant`'s `submissions` for a window `[windowStart, windowEnd]` ending at `cutoff`.
    init(tenant: TenantSpec, submissions: [Submission], windowStart: Date, windowEnd: Date, cutoff: Date, totalCompleted: Int) {
        self.tenant = tenant.name
        weight = tenant.weight
        let window = Swift.max(0.001, windowEnd.timeIntervalSince(windowStart))
        let measured = submissions.filter(\.measured)
        offeredPerSecond = Double(measured.count) / window
        refused = measured.filter { $0.refusal != nil }.count
        let records = submissions.compactMap(\.record)
        func ended(_ record: JobRecord) -> Date? {
            guard let end = record.endedAt, end <= cutoff, record.status == .finished || record.status == .failed else { return nil }
            return end
        }
        let completed = records.filter { record in
            guard record.status == .finished, let end = ended(record) else { return false }
            return end >= windowStart && end <= windowEnd
        }
        completedPerSecond = Double(completed.count) / window
        share = totalCompleted > 0 ? Double(completed.count) / Double(totalCompleted) : 0
        let measuredRecords = measured.compactMap(\.record)
        var waits: [Double] = []
        var notStarted = 0
        var latencies: [Double] = []
        var unfinished = 0
        for record in measuredRecords {
            if let start = record.firstStartedAt, start <= cutoff { waits.append(start.timeIntervalSince(record.createdAt)) } else { notStarted += 1 }
            if record.status == .finished, let end = ended(record) { latencies.append(end.timeIntervalSince(record.createdAt)) } else if ended(record) == nil { unfinished += 1 }
        }
        queueWait = LatencySummary(waits, censored: notStarted)
        latency = LatencySummary(latencies, censored: unfinished)
        // What the capacity it got was spent on: the jobs that finished in the window, like done/s.
        tokens = completed.reduce(0) { $0 + $1.usage[JobUsage.tokens] }
        costUSD = Double(completed.reduce(0) { $0 + $1.usage[JobUsage.costMicroUSD] }) / 1_000_000
        backlogged = Self.waitingThroughout(records, from: windowStart, to: windowEnd)
    }

    /// Whether some of `records` waited to start at nearly every moment of the window (at 90 % of
    /// 100 evenly spaced instants): a tenant that asks for more than it gets. One whose jobs start
    /// on arrival, however often it sends, is not.
    static func waitingThroughout(_ records: [JobRecord], from start: Date, to end: Date) -> Bool {
        let length = end.timeIntervalSince(start)
        guard length > 0, !records.isEmpty else { return false }
        let instants = 100
        let waiting = (0..<instants).filter { index in
            let instant = start.addingTimeInterval(length * (Double(index) + 0.5) / Double(instants))
            return records.contains { record in
                record.createdAt <= instant && (record.firstStartedAt.map { $0 > instant } ?? true) && record.status != .canceled
            }
        }.count
        return waiting * 10 >= instants * 9
    }

    /// Jain's fairness index of the backlogged tenants' completions per unit of weight: 1 when each
    /// got exactly its weighted share, 1/n when one got everything; nil with fewer than two such tenants.
    static func fairness(_ tenants: [TenantResult]) -> Double? {
        let shares = tenants.filter(\.backlogged).map { $0.completedPerSecond / $0.weight }
        guard shares.count >= 2 else { return nil }
        return jain(shares)
    }

    /// Jain's index of `values`: (sum)^2 / (n x sum of squares).
    static func jain(_ values: [Double]) -> Double {
        let sum = values.reduce(0, +)
        let squares = values.reduce(0) { $0 + $1 * $1 }
        return squares > 0 ? sum * sum / (Double(values.count) * squares) : 1
    }
}
