import RAGQueue
import Testing
@testable import RAGSimulator

@Suite("ragsim arrival schedule")
struct ArrivalScheduleTests {
    @Test("constant arrivals are exactly 1/qps apart and stop before the length")
    func constant() {
        let schedule = ArrivalSchedule(qps: 10, length: .seconds(5), process: .constant, seed: 1)
        #expect(schedule.offsets.count == 50)
        #expect(schedule.offsets.first == .zero)
        #expect(schedule.offsets.last == .milliseconds(4900))
        for (index, offset) in schedule.offsets.enumerated() {
            #expect(abs((offset - .milliseconds(100 * index)).seconds) < 1e-6)
        }
    }

    @Test("the same seed gives the same Poisson arrivals; another seed other ones")
    func seeded() {
        let first = ArrivalSchedule(qps: 20, length: .seconds(30), process: .poisson, seed: 7)
        let again = ArrivalSchedule(qps: 20, length: .seconds(30), process: .poisson, seed: 7)
        let other = ArrivalSchedule(qps: 20, length: .seconds(30), process: .poisson, seed: 8)
        #expect(first.offsets == again.offsets)
        #expect(first.offsets != other.offsets)
    }

    @Test("Poisson arrivals number about qps x length, ascend, and stay inside the length", arguments: [1 as UInt64, 2, 3, 42])
    func poisson(seed: UInt64) {
        let length = Duration.seconds(60)
        let schedule = ArrivalSchedule(qps: 20, length: length, process: .poisson, seed: seed)
        // 1,200 expected; a Poisson count's standard deviation is its square root (~35): allow 5 of them.
        #expect(abs(schedule.offsets.count - 1200) < 175)
        #expect(schedule.offsets.allSatisfy { $0 >= .zero && $0 < length })
        #expect(zip(schedule.offsets, schedule.offsets.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("a length shorter than one gap gives the single arrival at zero, or none for Poisson beyond it")
    func short() {
        #expect(ArrivalSchedule(qps: 1, length: .milliseconds(500), process: .constant, seed: 1).offsets == [.zero])
        #expect(ArrivalSchedule(qps: 0.001, length: .seconds(1), process: .poisson, seed: 3).offsets.count <= 1)
    }
}
