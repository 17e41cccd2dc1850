/// When to retry a transiently failed job: exponential backoff with full jitter, or the delay the
/// backend asked for.
public struct RetryPolicy: Sendable, Hashable {
    /// Backoff before the first retry, before jitter. Default 1 s.
    public var initialBackoff: Duration = .seconds(1)
    /// Ceiling of the exponential backoff. Default 60 s.
    public var maximumBackoff: Duration = .seconds(60)
    /// The longest backend-requested delay honoured; longer ones are cut to this. Default 10 min.
    public var maximumRetryAfter: Duration = .seconds(600)

    public init() {}

    /// The delay before the retry that follows failed attempt number `attempt` (1-based).
    ///
    /// With a `retryAfter` from the backend, that delay (capped); otherwise a uniformly random
    /// delay between zero and `min(maximumBackoff, initialBackoff * 2^(attempt-1))`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator) -> Duration {
        if let retryAfter, retryAfter > .zero {
            return min(retryAfter, maximumRetryAfter)
        }
        let ceiling = backoffCeiling(afterAttempt: attempt)
        let milliseconds = ceiling.milliseconds
        guard milliseconds > 0 else { return .zero }
        return .milliseconds(Int64.random(in: 0...milliseconds, using: &generator))
    }

    /// The upper bound of the jittered delay after attempt number `attempt`.
    public func backoffCeiling(afterAttempt attempt: Int) -> Duration {
        let doublings = min(max(attempt - 1, 0), 32)
        let scaled = initialBackoff.milliseconds.multipliedReportingOverflow(by: Int64(1) << doublings)
        if scaled.overflow { return maximumBackoff }
        return min(.milliseconds(scaled.partialValue), maximumBackoff)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
