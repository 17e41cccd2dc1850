/// Token buckets shared by every process of a deployment, kept by the queue's store.
public protocol RateLimitStore: Sendable {
    /// Takes one token from `bucket` (created full on first use), or says how long until one is there.
    func takeToken(from bucket: String, limit: TokenBucket) async throws(QueueError) -> TokenBucket.Decision
}

/// A bucket that holds at most `capacity` tokens and refills continuously at `refillPerSecond`.
public struct TokenBucket: Sendable, Hashable {
    /// What one take decided.
    public struct Decision: Sendable, Hashable {
        /// Whether a token was taken.
        public var allowed: Bool
        /// When refused, how long until a token is there.
        public var retryAfter: Duration
        /// Whole tokens left after this take.
        public var remaining: Int

        /// A decision.
        public init(allowed: Bool, retryAfter: Duration, remaining: Int) {
            self.allowed = allowed
            self.retryAfter = retryAfter
            self.remaining = remaining
        }
    }

    /// Most tokens the bucket holds: the burst a caller may make after being idle.
    public var capacity: Int
    /// Tokens added per second.
    public var refillPerSecond: Double

    /// A bucket of `capacity` refilled at `refillPerSecond`.
    public init(capacity: Int, refillPerSecond: Double) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
    }

    /// The bucket's state after `elapsed` milliseconds of refill from `tokens`, then one take: the
    /// arithmetic both stores share (the Valkey script is the same formula in Lua).
    func take(tokens: Double, elapsedMilliseconds: Int64) -> (tokens: Double, decision: Decision) {
        let perMillisecond = refillPerSecond / 1000
        var tokens = min(Double(capacity), tokens + Double(max(0, elapsedMilliseconds)) * perMillisecond)
        if tokens >= 1 {
            tokens -= 1
            return (tokens, Decision(allowed: true, retryAfter: .zero, remaining: Int(tokens.rounded(.down))))
        }
        let wait = Int64(((1 - tokens) / perMillisecond).rounded(.up))
        return (tokens, Decision(allowed: false, retryAfter: .milliseconds(wait), remaining: 0))
    }
}
