import Foundation
import Testing
@testable import RAGQueue
@testable import RAGSimulator

@Suite("ragsim question popularity and answer-cache figures")
struct QuestionPopularityTests {
    @Test("Zipf draws: the same seed gives the same questions; the k-th is asked about 1/k^s as often as the first")
    func zipf() {
        let popularity = QuestionPopularity(count: 500, exponent: 1.1)
        let draws = popularity.indices(200_000, seed: 7)
        #expect(draws == popularity.indices(200_000, seed: 7))
        #expect(draws != popularity.indices(200_000, seed: 8))
        #expect(draws.allSatisfy { (0..<500).contains($0) })
        var counts = Array(repeating: 0, count: 500)
        for index in draws { counts[index] += 1 }
        for rank in [2, 4, 10] {
            let ratio = Double(counts[0]) / Double(counts[rank - 1])
            let expected = pow(Double(rank), 1.1)
            #expect(abs(ratio - expected) / expected < 0.1, "rank \(rank): \(ratio) against \(expected)")
        }
        // The first question's share is 1 / H(500, 1.1), the generalized harmonic number.
        let harmonic = (1...500).reduce(0.0) { $0 + 1 / pow(Double($1), 1.1) }
        #expect(abs(Double(counts[0]) / 200_000 - 1 / harmonic) < 0.005)
    }

    @Test("steps that replay the same arrivals ask the same questions; zipf 0 asks them in turn")
    func commonQuestions() {
        var plan = StepTrafficTests.plan()
        plan.repetition.zipf = 1.1
        let first = plan.traffic(step: 0, collection: "c").map(\.query.query)
        #expect(first == plan.traffic(step: 3, collection: "c").map(\.query.query))
        #expect(Set(first).count < first.count, "popular questions repeat")
        plan.repetition.zipf = 0
        let inTurn = plan.traffic(step: 0, collection: "c").map(\.query.query)
        #expect(Array(inTurn.prefix(plan.questions.count)) == plan.questions)
    }

    @Test("answer-cache hits are counted among measured queries, with their submit-to-answer times; queue wait 0")
    func cacheFigures() throws {
        typealias Timeline = StepResultTests.Timeline
        var hit = try Timeline.job(.finished, created: 4, ended: 4)
        hit.record?.cachedFrom = JobID()
        hit.cachedAnswerAt = hit.sentAt.addingTimeInterval(0.004)
        var warmupHit = try Timeline.job(.finished, created: 1, ended: 1)
        warmupHit.record?.cachedFrom = JobID()
        warmupHit.cachedAnswerAt = warmupHit.sentAt.addingTimeInterval(0.002)
        let ran = try Timeline.job(.finished, created: 5, started: 5, ended: 6)
        let result = Timeline.result([hit, warmupHit, ran])
        #expect(result.cacheHits == 1, "warm-up hits are not measured")
        #expect(abs((result.cacheHitLatency?.p50 ?? 0) - 0.004) < 0.0005)
        #expect(result.queueWait.beyondCutoff == 0)
        #expect(Timeline.result([ran]).cacheHits == nil)
        var follower = try Timeline.job(.finished, created: 5.5, ended: 6)
        follower.record?.coalescedWith = JobID()
        #expect(Timeline.result([ran, follower]).coalesced == 1)
        #expect(Timeline.result([ran, follower]).efficiency == Timeline.result([ran]).efficiency, "a follower is not work a slot could do")
        #expect(Timeline.result([ran]).coalesced == nil)
    }
}
