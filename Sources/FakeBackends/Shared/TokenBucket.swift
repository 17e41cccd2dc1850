/// A token bucket: holds up to `capacity` tokens and refills `capacity` per `period`.
///
/// The caller passes `now`, so the bucket is a pure value that tests drive with any clock.
struct TokenBucket: Sendable {
    /// The most tokens the bucket holds, and how many it refills per period.
    let capacity: Double
    /// How long a full refill takes.
    let period: Duration
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    /// A full bucket of `capacity` tokens refilled over `period` (a minute for per-minute limits).
    init(capacity: Int, period: Duration = .seconds(60), now: ContinuousClock.Instant) {
        self.capacity = Double(capacity)
        self.period = period
        self.tokens = Double(capacity)
        self.updated = now
    }

    private var ratePerSecond: Double { capacity / period.seconds }

    private mutating func refill(now: ContinuousClock.Instant) {
        guard now > updated else { return }
        tokens = min(capacity, tokens + (now - updated).seconds * ratePerSecond)
        updated = now
    }

    /// Tokens available at `now`, rounded down.
    mutating func remaining(now: ContinuousClock.Instant) -> Int {
        refill(now: now)
        return Int(tokens.rounded(.down))
    }

    /// How long until the bucket is full again.
    mutating func timeUntilFull(now: ContinuousClock.Instant) -> Duration {
        refill(now: now)
        return .seconds((capacity - tokens) / ratePerSecond)
    }

    /// How long until `amount` tokens are available (zero if they are now).
    mutating func wait(for amount: Double, now: ContinuousClock.Instant) -> Duration {
        refill(now: now)
        let needed = min(amount, capacity) - tokens
        return needed <= 0 ? .zero : .seconds(needed / ratePerSecond)
    }

    /// Takes `amount` tokens; the caller checked `wait(for:now:)` first.
    mutating func take(_ amount: Double, now: ContinuousClock.Instant) {
        refill(now: now)
        tokens = max(0, tokens - min(amount, capacity))
    }
}

/// Per-minute request and token limits, as an OpenAI organisation has them.
public struct RateLimits: Sendable, Equatable {
    /// Requests per minute; nil = unlimited (the default).
    public var requestsPerMinute: Int?
    /// Tokens per minute (prompt plus completion); nil = unlimited (the default).
    public var tokensPerMinute: Int?

    /// Limits; both default to unlimited.
    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }
}
