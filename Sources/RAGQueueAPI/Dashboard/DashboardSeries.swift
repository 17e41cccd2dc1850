import RAGQueue
import Synchronization

/// The dashboard's charts: jobs ended per second and the percentiles of their queue wait and end
/// to end time, in 10 s buckets over the last 10 minutes. Kept in this API process from the queue's
/// end events, which every process hears (`JobStore.observeEnds`), so every replica draws the same
/// charts from the moment it started; nothing more is stored in Valkey for them.
final class DashboardSeries: Sendable {
    /// Seconds per bucket, and buckets kept.
    static let bucketSeconds: Int64 = 10
    static let bucketCount = 60
    /// Samples of each kind kept per bucket; beyond, a uniform sample of them (reservoir).
    static let samplesPerBucket = 2_000

    /// One bucket's figures, for a chart.
    struct Point: Sendable, Hashable {
        /// The bucket's start, ms since the epoch.
        var start: Int64
        var finishedPerSecond: Double
        var failedPerSecond: Double
        /// p50, p95, p99 in seconds; nil with no sample in the bucket.
        var wait: Percentiles?
        var total: Percentiles?
    }

    struct Percentiles: Sendable, Hashable {
        var p50: Double
        var p95: Double
        var p99: Double

        /// Nearest-rank percentiles of `samples`; nil when there are none.
        init?(_ samples: [Double]) {
            guard !samples.isEmpty else { return nil }
            let sorted = samples.sorted()
            func rank(_ p: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
            p50 = rank(0.50)
            p95 = rank(0.95)
            p99 = rank(0.99)
        }
    }

    private struct Bucket {
        var index: Int64
        var finished = 0
        var failed = 0
        var waits = Reservoir()
        var totals = Reservoir()
    }

    /// Up to `samplesPerBucket` values, each of the values offered equally likely to be among them.
    private struct Reservoir {
        var values: [Double] = []
        var offered = 0

        mutating func add(_ value: Double) {
            offered += 1
            if values.count < DashboardSeries.samplesPerBucket {
                values.append(value)
            } else {
                let slot = Int.random(in: 0..<offered)
                if slot < values.count { values[slot] = value }
            }
        }
    }

    private let buckets = Mutex<[Bucket]>([])
    private let observation = Mutex<EventObservation?>(nil)
    private let clock: any WallClock
    /// The bucket this process started in: the charts begin there until they span 10 minutes.
    private let firstBucket: Int64

    /// Series fed by `store`'s end events from now on.
    init(observing store: any JobStore, clock: any WallClock = SystemWallClock()) {
        self.clock = clock
        firstBucket = clock.nowMilliseconds() / (Self.bucketSeconds * 1000)
        let observation = store.observeEnds { [weak self] end in self?.record(end) }
        self.observation.withLock { $0 = observation }
    }

    /// Counts one end in the bucket of now.
    func record(_ end: JobEnd) {
        let index = clock.nowMilliseconds() / (Self.bucketSeconds * 1000)
        buckets.withLock { buckets in
            if buckets.last?.index != index {
                buckets.append(Bucket(index: index))
                buckets.removeFirst(max(0, buckets.count - Self.bucketCount))
            }
            let last = buckets.count - 1
            switch end.status {
            case .finished: buckets[last].finished += 1
            case .failed: buckets[last].failed += 1
            default: break
            }
            if let wait = end.queueWait { buckets[last].waits.add(wait.seconds) }
            buckets[last].totals.add(end.total.seconds)
        }
    }

    /// The buckets since this process started, the last `bucketCount` at most, oldest first; a
    /// bucket with no end has zero rates and no percentiles. The bucket of now is left out: it is
    /// still filling.
    func points() -> [Point] {
        let current = clock.nowMilliseconds() / (Self.bucketSeconds * 1000)
        let kept = buckets.withLock { $0 }
        let byIndex = Dictionary(kept.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        let seconds = Double(Self.bucketSeconds)
        return (max(firstBucket, current - Int64(Self.bucketCount))..<current).map { index in
            let bucket = byIndex[index]
            return Point(
                start: index * Self.bucketSeconds * 1000,
                finishedPerSecond: Double(bucket?.finished ?? 0) / seconds, failedPerSecond: Double(bucket?.failed ?? 0) / seconds,
                wait: bucket.flatMap { Percentiles($0.waits.values) }, total: bucket.flatMap { Percentiles($0.totals.values) }
            )
        }
    }
}
