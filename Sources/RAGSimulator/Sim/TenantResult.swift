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
    /// Model tokens its measured jobs used.
    var tokens: Int64
    /// What its measured jobs cost, US dollars.
    var costUSD: Double
    /// Whether it had work waiting when the window ended: only such tenants' shares show fairness.
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
        }.count
        completedPerSecond = Double(completed) / window
        share = totalCompleted > 0 ? Double(completed) / Double(totalCompleted) : 0
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
        tokens = measuredRecords.reduce(0) { $0 + $1.usage[JobUsage.tokens] }
        costUSD = Double(measuredRecords.reduce(0) { $0 + $1.usage[JobUsage.costMicroUSD] }) / 1_000_000
        backlogged = records.contains { record in
            record.createdAt < windowEnd && (record.firstStartedAt.map { $0 > windowEnd } ?? true)
        }
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
