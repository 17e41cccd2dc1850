#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How long a fake takes to answer, drawn per request from a seeded generator.
public enum LatencyDistribution: Sendable, Equatable {
    /// Always exactly this long.
    case fixed(Duration)
    /// Uniform between the two bounds.
    case uniform(min: Duration, max: Duration)
    /// Normal with this mean and standard deviation, cut at zero.
    case normal(mean: Duration, standardDeviation: Duration)
    /// Lognormal with this median and shape `sigma` (the standard deviation of the log), the usual
    /// shape of service latencies: most answers near the median, a long tail.
    case lognormal(median: Duration, sigma: Double)

    /// No delay at all: the default.
    public static let zero = LatencyDistribution.fixed(.zero)

    /// One delay drawn with `random`; never negative.
    public func sample(using random: inout SeededRandom) -> Duration {
        let seconds: Double
        switch self {
        case .fixed(let value):
            return max(value, .zero)
        case .uniform(let low, let high):
            let lower = low.seconds
            seconds = lower + (high.seconds - lower) * random.nextUnit()
        case .normal(let mean, let deviation):
            seconds = mean.seconds + deviation.seconds * random.nextGaussian()
        case .lognormal(let median, let sigma):
            seconds = median.seconds * exp(sigma * random.nextGaussian())
        }
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .nanoseconds(Int64(min(seconds, 86_400) * 1e9))
    }
}

/// Latency per endpoint: a default, overrides for some endpoints, and for chat a time per output token.
public struct LatencyProfile<Endpoint: Hashable & Sendable>: Sendable {
    /// Used by every endpoint without an override. Default: no delay.
    public var `default`: LatencyDistribution
    /// Overrides by endpoint. Default: none.
    public var perEndpoint: [Endpoint: LatencyDistribution]
    /// Extra time per generated token (chat only); a stream sends its tokens at this pace. Default: zero.
    public var perOutputToken: Duration

    /// A profile with the given default, overrides and per-token time.
    public init(
        default: LatencyDistribution = .zero,
        perEndpoint: [Endpoint: LatencyDistribution] = [:],
        perOutputToken: Duration = .zero
    ) {
        self.default = `default`
        self.perEndpoint = perEndpoint
        self.perOutputToken = perOutputToken
    }

    /// The distribution that applies to `endpoint`.
    public func distribution(for endpoint: Endpoint) -> LatencyDistribution {
        perEndpoint[endpoint] ?? self.default
    }
}

extension Duration {
    /// The duration in seconds, as a double.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    /// The duration in whole milliseconds, rounded up.
    var ceilMilliseconds: Int64 {
        let parts = components
        let fraction = parts.attoseconds / 1_000_000_000_000_000
        let remainder = parts.attoseconds % 1_000_000_000_000_000
        return parts.seconds * 1000 + fraction + (remainder > 0 ? 1 : 0)
    }
}
