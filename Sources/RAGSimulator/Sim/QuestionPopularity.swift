import FakeBackends
import Foundation

/// Which of `count` questions each query asks when some are asked far more than others: Zipf's
/// law, the k-th most popular asked in proportion to 1 / k^`exponent` (s = 1.1 over 500 questions:
/// the first is asked by about 19% of queries, the 500th by 0.02%). Draws come from the seed, so
/// every step of a run asks the same questions in the same order.
struct QuestionPopularity: Sendable {
    /// The cumulative share of questions 0...k, ascending to 1.
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var total = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(max(1, count))
        for rank in 1...max(1, count) {
            total += 1 / pow(Double(rank), exponent)
            cumulative.append(total)
        }
        self.cumulative = cumulative.map { $0 / total }
    }

    /// `draws` question indices (0 is the most popular), seeded by `seed`.
    func indices(_ draws: Int, seed: UInt64) -> [Int] {
        var random = SeededRandom(mixing: seed, 0x2_1FF0)
        return (0..<draws).map { _ in
            let unit = random.nextUnit()
            var low = 0
            var high = cumulative.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] > unit { high = middle } else { low = middle + 1 }
            }
            return low
        }
    }
}
