import Foundation
import Synchronization
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// The dashboard's charts: ends counted in 10 s buckets over 10 minutes, their percentiles, and
/// the SVG drawn from them.
@Suite("Dashboard series")
struct DashboardSeriesTests {
    final class TestClock: WallClock {
        let now = Mutex<Int64>(1_800_000_000_000)
        func nowMilliseconds() -> Int64 { now.withLock { $0 } }
        func advance(seconds: Int64) { now.withLock { $0 += seconds * 1000 } }
    }

    static func series() throws -> (DashboardSeries, TestClock) {
        let clock = TestClock()
        return (DashboardSeries(observing: try InMemoryJobStore(configuration: QueueConfiguration()), clock: clock), clock)
    }

    static func end(_ status: JobStatus, wait: Int?, total: Int) -> JobEnd {
        JobEnd(id: JobID(), status: status, queueWait: wait.map { .milliseconds($0) }, total: .milliseconds(total))
    }

    @Test("a bucket's rates are its ends over 10 s and its percentiles the nearest ranks; the filling bucket is left out")
    func buckets() throws {
        let (series, clock) = try Self.series()
        for milliseconds in 1...100 { series.record(Self.end(.finished, wait: milliseconds, total: milliseconds * 10)) }
        for _ in 0..<5 { series.record(Self.end(.failed, wait: nil, total: 5)) }
        #expect(series.points().allSatisfy { $0.finishedPerSecond == 0 && $0.total == nil }, "the bucket of now is still filling")

        clock.advance(seconds: 10)
        let points = series.points()
        #expect(points.count == 1, "the charts begin when the process started")
        let last = try #require(points.last)
        #expect(last.finishedPerSecond == 10 && last.failedPerSecond == 0.5)
        #expect(last.wait?.p50 == 0.050 && last.wait?.p95 == 0.095 && last.wait?.p99 == 0.099, "failed jobs that never started add no wait")
        #expect(last.total?.p50 == 0.480 && last.total?.p99 == 0.990, "105 totals: five of 5 ms, then 10...1000 ms")

        // Ten minutes on, the bucket has left the charts, which span ten minutes.
        clock.advance(seconds: 600)
        #expect(series.points().count == DashboardSeries.bucketCount)
        #expect(series.points().allSatisfy { $0.finishedPerSecond == 0 && $0.total == nil })
    }

    @Test("the charts draw each line from its values, break it where a bucket has none, and scale to a round ceiling")
    func charts() throws {
        let (series, clock) = try Self.series()
        series.record(Self.end(.finished, wait: 20, total: 400))
        clock.advance(seconds: 20)
        series.record(Self.end(.finished, wait: 30, total: 600))
        series.record(Self.end(.failed, wait: 10, total: 300))
        clock.advance(seconds: 10)
        let svg = DashboardController.charts(series.points())
        for name in ["throughput", "total", "wait"] { #expect(svg.contains(#"data-chart="\#(name)""#)) }
        #expect(svg.contains(#"data-line="finished" data-last="0.1""#) && svg.contains(#"data-line="failed" data-last="0.1""#))
        #expect(svg.contains(#"data-line="p99" data-last="0.6""#), "end to end p99 of the last bucket, in seconds")
        // The total's p50 line has two values with an empty bucket between: two separate moves.
        let p50 = try #require(svg.components(separatedBy: #"<path d=""#).first { $0.contains(#"data-line="p50" data-last="0.3""#) })
        #expect(p50.components(separatedBy: "M").count - 1 == 2)
        #expect(DashboardChart.niceCeiling(0.6) == 1 && DashboardChart.niceCeiling(0.13) == 0.2 && DashboardChart.niceCeiling(37) == 50)
        #expect(DashboardChart.niceCeiling(0) == 1)
    }
}
