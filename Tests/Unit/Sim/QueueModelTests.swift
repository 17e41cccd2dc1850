import Foundation
import Testing
import RAGQueue
@testable import RAGSimulator

@Suite("ragsim plan: the queue model")
struct QueueModelTests {
    /// `count` service times with exactly the quantiles of an exponential distribution of `mean`.
    static func exponential(mean: Double, count: Int = 4000) -> MeasuredTimes {
        MeasuredTimes((0..<count).map { -log(1 - (Double($0) + 0.5) / Double(count)) * mean })
    }

    /// B(10, 10) = 0.2146 and B(5, 3) = 0.1101 are Erlang B table entries; B(3, 2) = 4/19 in closed form.
    @Test("Erlang B matches published tables", arguments: [(10, 10.0, 0.2146), (5, 3.0, 0.1101), (3, 2.0, 4.0 / 19)])
    func erlangB(servers: Int, load: Double, blocking: Double) {
        #expect(abs(Erlang.b(servers: servers, load: load) - blocking) < 0.0001)
    }

    /// C(11, 10) = 0.6821 is the call-centre table's value for 10 erlangs on 11 agents; C(2, 1) = 1/3
    /// and C(3, 2) = 4/9 follow in closed form.
    @Test("Erlang C matches published tables", arguments: [(11, 10.0, 0.6821), (2, 1.0, 1.0 / 3), (3, 2.0, 4.0 / 9)])
    func erlangC(servers: Int, load: Double, waiting: Double) {
        #expect(abs(Erlang.c(servers: servers, load: load) - waiting) < 0.0001)
    }

    @Test("Erlang C is 1 at or beyond capacity, 0 without load, and stays finite for thousands of slots")
    func erlangEdges() {
        #expect(Erlang.c(servers: 8, load: 8) == 1)
        #expect(Erlang.c(servers: 8, load: 9) == 1)
        #expect(Erlang.c(servers: 8, load: 0) == 0)
        let large = Erlang.c(servers: 5000, load: 4900)
        #expect(large.isFinite && large > 0 && large < 1)
    }

    @Test("M/M/1: the response time is exponential with rate mu - lambda, so its p95 is ln 20 / (mu - lambda)")
    func markovianSingleServer() throws {
        let model = QueueModel(slots: 1, arrivalRate: 0.5, service: Self.exponential(mean: 1), arrivalVariation: 1)
        #expect(abs(model.probabilityOfWaiting - 0.5) < 1e-3)
        let meanWait = try #require(model.meanWait)
        #expect(abs(meanWait - 1) < 0.01, "rho / (mu - lambda) = 0.5 / 0.5")
        let p95 = try #require(model.latency(quantile: 0.95))
        #expect(abs(p95 - log(20) / 0.5) / (log(20) / 0.5) < 0.01)
    }

    @Test("M/D/c: constant service times halve the wait of M/M/c (Allen-Cunneen) and the model is unstable at capacity")
    func deterministicService() throws {
        let constant = MeasuredTimes(Array(repeating: 1.6, count: 100))
        #expect(constant.squaredVariation < 1e-12)
        let deterministic = QueueModel(slots: 40, arrivalRate: 20, service: constant)
        let markovian = QueueModel(slots: 40, arrivalRate: 20, service: Self.exponential(mean: 1.6))
        let ratio = try #require(deterministic.meanWait) / (try #require(markovian.meanWait))
        #expect(abs(ratio - 0.5) < 0.01)
        #expect(!QueueModel(slots: 32, arrivalRate: 20, service: constant).isStable)
        #expect(QueueModel(slots: 32, arrivalRate: 20, service: constant).latency(quantile: 0.95) == nil)
        #expect(QueueModel(slots: 32, arrivalRate: 20, service: constant).throughput == 20)
        #expect(abs(QueueModel(slots: 8, arrivalRate: 20, service: constant).throughput - 5) < 1e-9)
    }

    @Test("the plan chooses the fewest workers whose steady-state p95 meets the target, and looks two further")
    func choosesSmallest() throws {
        let service = MeasuredTimes((0..<200).map { 1.0 + 1.2 * Double($0) / 199 })
        let target = PlanTarget(p95Seconds: 2.5, maxWorkers: 64, confirm: nil)
        let (rows, chosen) = CapacityPlanReport.model(arrivalRate: 20, arrivalVariation: 1, service: service, concurrency: 8, target: target)
        let workers = try #require(chosen)
        #expect(rows.map(\.workers) == Array(1...(workers + 2)))
        for row in rows where row.workers < workers {
            #expect(row.p95Seconds.map { $0 > 2.5 } ?? true, "\(row.workers) worker(s) does not meet the target")
        }
        #expect(try #require(rows[workers - 1].p95Seconds) <= 2.5)
        // 20/s x 1.6 s = 32 erlangs: four workers (32 slots) are at capacity, five are the first stable count.
        #expect(rows[3].p95Seconds == nil && rows[4].p95Seconds != nil)
    }

    @Test("the model run through a step: below capacity every job takes its service time; above it done/s is the capacity")
    func modelRun() throws {
        let arrivals = (0..<460).map { Double($0) * 0.05 }  // 20/s for 23 s
        let run = ModelRun(arrivals: arrivals, warmup: 3, duration: 20, drain: 15, service: MeasuredTimes([1.6]), seed: 1)
        let light = run.step(workers: 5, concurrency: 8)  // 40 slots, 25/s capacity
        #expect(abs(light.completedPerSecond - 20) < 0.11)
        #expect(abs((light.latency.p95 ?? 0) - 1.6) < 1e-6)
        #expect(light.unfinished == 0)
        let heavy = run.step(workers: 1, concurrency: 8)  // 5/s capacity
        // Eight slots in step finish 8 jobs every 1.6 s: 104 or 96 fall in a 20 s window, not 100.
        #expect(abs(heavy.completedPerSecond - 5) <= 0.21)
        #expect(heavy.latency.p95 == nil, "the backlog outlasts the drain")
        #expect(heavy.unfinished > 0)
    }

    @Test("the arrivals' variation is 1 for Poisson gaps and 0 for even ones")
    func arrivalVariation() {
        #expect(CapacityPlanReport.arrivalVariation((0..<100).map { Double($0) * 0.1 }) < 1e-9)
        let schedule = ArrivalSchedule(qps: 20, length: .seconds(600), process: .poisson, seed: 3)
        let variation = CapacityPlanReport.arrivalVariation(schedule.offsets.map(\.seconds))
        #expect(abs(variation - 1) < 0.1)
    }
}
