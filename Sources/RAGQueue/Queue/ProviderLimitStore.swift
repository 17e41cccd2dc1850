/// A model provider's per-minute budgets, shared by every worker process through the queue's
/// store: a worker reserves a request and its estimated tokens before each call, settles with the
/// tokens really used after it, and everyone waits when the provider answers 429.
public protocol ProviderLimitStore: Sendable {
    /// Reserves one request and `tokens` tokens of `model`'s budgets, or says how long to wait
    /// (`.zero`: reserved). `limits` are the configured ones; unset ones are what the provider's
    /// headers taught (`observeProviderLimits`), and a model with none known is not paced.
    func reserveProviderCapacity(model: String, tokens: Int, limits: ProviderLimits) async throws(QueueError) -> Duration
    /// Corrects a reservation of `reserved` tokens by what the call really used, and records what
    /// the provider's `x-ratelimit-*` headers said, if anything: its limits, and what remains.
    func settleProviderCapacity(
        model: String, reserved: Int, used: Int, observation: ProviderLimits.Observation?, limits: ProviderLimits
    ) async throws(QueueError)
    /// Stops every reservation of `model` for `duration`: the provider said 429.
    func pauseProvider(model: String, for duration: Duration) async throws(QueueError)
}

/// Requests and tokens per minute a provider allows one model.
public struct ProviderLimits: Sendable, Hashable {
    /// What one response's `x-ratelimit-*` headers said.
    public struct Observation: Sendable, Hashable {
        /// `x-ratelimit-limit-requests`.
        public var limitRequests: Int?
        /// `x-ratelimit-limit-tokens`.
        public var limitTokens: Int?
        /// `x-ratelimit-remaining-requests`.
        public var remainingRequests: Int?
        /// `x-ratelimit-remaining-tokens`.
        public var remainingTokens: Int?

        /// An observation of the four figures, each optional.
        public init(limitRequests: Int? = nil, limitTokens: Int? = nil, remainingRequests: Int? = nil, remainingTokens: Int? = nil) {
            self.limitRequests = limitRequests
            self.limitTokens = limitTokens
            self.remainingRequests = remainingRequests
            self.remainingTokens = remainingTokens
        }
    }

    /// Requests per minute; nil to learn it from the provider.
    public var requestsPerMinute: Int?
    /// Tokens per minute; nil to learn it from the provider.
    public var tokensPerMinute: Int?

    /// Limits of `requestsPerMinute` and `tokensPerMinute`.
    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }
}

/// One model's two budgets as buckets that refill continuously, a minute's worth when full: the
/// arithmetic both stores share (the Valkey scripts are the same steps in Lua).
public struct ProviderBucket: Sendable, Hashable {
    /// Requests left now.
    public var requests: Double
    /// Tokens left now; negative after calls used more than they reserved.
    public var tokens: Double
    /// When the figures were last brought up to date (ms since the epoch).
    public var updatedAt: Int64
    /// No reservation before this (ms since the epoch): a 429 pauses everyone.
    public var pausedUntil: Int64 = 0
    /// Limits the provider's headers taught.
    public var learned = ProviderLimits()
    /// Calls reserved and not yet settled, and their reserved tokens: what the provider's
    /// `remaining` figures may not count yet.
    public var inFlightRequests = 0
    public var inFlightTokens = 0

    /// A full bucket at `now`.
    public init(now: Int64) {
        self.requests = .infinity
        self.tokens = .infinity
        self.updatedAt = now
    }

    /// The limits in force: configured ones first, else learned ones.
    func limits(_ configured: ProviderLimits) -> ProviderLimits {
        ProviderLimits(
            requestsPerMinute: configured.requestsPerMinute ?? learned.requestsPerMinute,
            tokensPerMinute: configured.tokensPerMinute ?? learned.tokensPerMinute
        )
    }

    /// Refills both buckets for the time since the last update, up to a minute's worth.
    mutating func refill(now: Int64, limits: ProviderLimits) {
        let elapsed = Double(max(0, now - updatedAt))
        if let rpm = limits.requestsPerMinute {
            requests = min(Double(rpm), requests + elapsed * Double(rpm) / 60_000)
        }
        if let tpm = limits.tokensPerMinute {
            tokens = min(Double(tpm), tokens + elapsed * Double(tpm) / 60_000)
        }
        updatedAt = max(updatedAt, now)
    }

    /// Takes a request and `cost` tokens, or returns how long until both are there. A call
    /// larger than a whole minute's tokens waits for a full bucket, then goes.
    public mutating func reserve(tokens cost: Int, now: Int64, configured: ProviderLimits) -> Duration {
        if pausedUntil > now { return .milliseconds(pausedUntil - now) }
        let limits = limits(configured)
        refill(now: now, limits: limits)
        var wait = 0.0
        if let rpm = limits.requestsPerMinute, requests < 1 {
            wait = max(wait, (1 - requests) / (Double(rpm) / 60_000))
        }
        if let tpm = limits.tokensPerMinute {
            let needed = min(Double(cost), Double(tpm))
            if tokens < needed { wait = max(wait, (needed - tokens) / (Double(tpm) / 60_000)) }
        }
        if wait > 0 { return .milliseconds(Int64(wait.rounded(.up))) }
        requests -= 1
        tokens -= Double(cost)
        inFlightRequests += 1
        inFlightTokens += cost
        return .zero
    }

    /// Gives back what a call reserved and did not use, or takes what it used beyond; learns the
    /// provider's limits from `observation`, and never believes more remains than it says less
    /// what the calls still in flight have reserved (the provider may not have seen them yet).
    public mutating func settle(reserved: Int, used: Int, observation: ProviderLimits.Observation?, now: Int64, configured: ProviderLimits) {
        if let limit = observation?.limitRequests, limit > 0 { learned.requestsPerMinute = limit }
        if let limit = observation?.limitTokens, limit > 0 { learned.tokensPerMinute = limit }
        refill(now: now, limits: limits(configured))
        tokens += Double(reserved - used)
        inFlightRequests = max(0, inFlightRequests - 1)
        inFlightTokens = max(0, inFlightTokens - reserved)
        if let remaining = observation?.remainingRequests {
            requests = min(requests, Double(remaining - inFlightRequests))
        }
        if let remaining = observation?.remainingTokens {
            tokens = min(tokens, Double(remaining - inFlightTokens))
        }
    }
}
