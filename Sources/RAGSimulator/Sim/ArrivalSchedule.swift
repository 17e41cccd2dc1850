import FakeBackends
import Foundation
import RAGQueue

/// Open-loop arrival times: when each query is sent, fixed in advance and independent of how fast
/// the system answers, so a slow system meets the same offered load as a fast one.
public struct ArrivalSchedule: Sendable {
    /// How arrivals are spaced.
    public enum Process: String, Sendable, CaseIterable {
        /// Exactly 1/qps apart.
        case constant
        /// Exponential gaps with mean 1/qps (a Poisson process), drawn from the seed.
        case poisson
    }

    /// Offsets from the start of the step, ascending, all below the step's length.
    let offsets: [Duration]

    /// Arrivals at `qps` for `length`, spaced by `process` and seeded by `seed`.
    init(qps: Double, length: Duration, process: Process, seed: UInt64) {
        var random = SeededRandom(mixing: seed, 0xA77_1A15)
        let total = length.seconds
        var offsets: [Duration] = []
        var time = 0.0
        while true {
            switch process {
            case .constant:
                time = Double(offsets.count) / qps
            case .poisson:
                // 1 - unit keeps the logarithm's argument in (0, 1].
                time += -log(1 - random.nextUnit()) / qps
            }
            guard time < total else { break }
            offsets.append(.nanoseconds(Int64(time * 1e9)))
        }
        self.offsets = offsets
    }
}
