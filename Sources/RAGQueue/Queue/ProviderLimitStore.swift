/// A model provider's per-minute budgets, shared by every worker process through the queue's
/// store. A worker leases a slice of them (a request and the tokens of the call at hand, or more:
/// what `window` of the per-minute rate allows), spends the lease on its own calls without asking
/// again, and settles later, in the same call that asks for the next lease or after the window:
/// the requests and tokens its calls used and what it did not use. Everyone waits when the
/// provider answers 429. What a worker leased counts in flight until it settles, or until it has
/// been silent past its holder's horizon (it was killed): then it stops counting.
public protocol ProviderLimitStore: Sendable {
    /// Applies `holder`'s `settlement` to `model`'s budgets, then, when `lease` is given, leases a
    /// slice of them to `holder` or says how long to wait. `limits` are the configured ones; unset
    /// ones are what the provider's headers taught (the settlements' observations), and a model
    /// with none known is not paced (an unbounded lease).
    func leaseProviderCapacity(
        model: String, holder: ProviderHolder, settling settlement: ProviderSettlement, lease: ProviderLeaseRequest?, limits: ProviderLimits
    ) async throws(QueueError) -> ProviderLease
    /// Stops every lease of `model` for `duration`: the provider said 429.
    func pauseProvider(model: String, for duration: Duration) async throws(QueueError)
}

/// Who holds leased amounts (one pacer: a model in one worker process), and how long they stand
/// without word from it. A holder speaks to the store whenever it leases or settles, and settles
/// every call within its deadline; one silent for longer than `horizonMilliseconds` was stopped
/// without settling (killed), and what it held stops counting in flight, so that a dead worker
/// does not shrink the budget the provider's `remaining` figures allow for good.
public struct ProviderHolder: Sendable, Hashable {
    /// Unique among the holders of a model.
    public var id: String
    /// How long the holder's amounts count after its last word: longer than any of its calls lasts.
    public var horizonMilliseconds: Int64

    /// The holder `id`, counted for `horizon` after each word.
    public init(id: String, horizon: Duration) {
        self.id = id
        self.horizonMilliseconds = max(1, horizon.milliseconds)
    }
}

/// What a lease asks for: at least one request and `tokens` tokens (the call at hand), and up to
/// `requests` requests and `wantedTokens` tokens (what the caller expects to spend soon), but no
/// more than `windowMilliseconds` of each per-minute rate.
public struct ProviderLeaseRequest: Sendable, Hashable {
    /// Tokens the call at hand needs.
    public var tokens: Int
    /// Requests wanted, the call at hand's among them (at least 1).
    public var requests: Int
    /// Tokens wanted, the call at hand's among them (at least `tokens`).
    public var wantedTokens: Int
    /// The largest slice of each per-minute rate a lease may take, in milliseconds of it; 0 leases
    /// the call at hand only.
    public var windowMilliseconds: Int64

    /// A lease for the call at hand (`tokens`) and up to `requests` calls and `wantedTokens`
    /// tokens, within `windowMilliseconds` of the rates.
    public init(tokens: Int, requests: Int = 1, wantedTokens: Int = 0, windowMilliseconds: Int64 = 0) {
        self.tokens = max(0, tokens)
        self.requests = max(1, requests)
        self.wantedTokens = max(self.tokens, wantedTokens)
        self.windowMilliseconds = max(0, windowMilliseconds)
    }
}

/// A store's answer to a lease request.
public enum ProviderLease: Sendable, Hashable {
    /// Leased: `requests` requests and `tokens` tokens, each nil when that budget is not paced
    /// (no limit known), so calls may use as much of it as they like.
    case granted(requests: Int?, tokens: Int?)
    /// Nothing leased: the budgets hold the call only after this wait (or the model is paused).
    case wait(Duration)
    /// Nothing was asked (a settlement alone).
    case none
}

/// What a worker's leases went to since it last settled. Leased requests and tokens stay counted
/// in flight in the store (the provider's `remaining` figures may not count them yet) until a
/// settlement closes them.
public struct ProviderSettlement: Sendable, Hashable {
    /// Leased requests closed: used by calls that ended, or given back unused.
    public var requests = 0
    /// Of them, given back unused.
    public var requestsBack = 0
    /// Leased tokens closed: reserved by calls that ended, or given back unused.
    public var tokens = 0
    /// Tokens to give back: those closed less what the calls really used (negative when calls
    /// used more than they reserved).
    public var tokensBack = 0
    /// What the provider's `x-ratelimit-*` headers said last, if anything.
    public var observation: ProviderLimits.Observation?

    /// A settlement of the four counts and an observation (none: an empty one).
    public init(requests: Int = 0, requestsBack: Int = 0, tokens: Int = 0, tokensBack: Int = 0, observation: ProviderLimits.Observation? = nil) {
        self.requests = requests
        self.requestsBack = requestsBack
        self.tokens = tokens
        self.tokensBack = tokensBack
        self.observation = observation
    }

    /// Whether it changes nothing.
    public var isEmpty: Bool {
        requests == 0 && requestsBack == 0 && tokens == 0 && tokensBack == 0 && observation == nil
    }
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
    /// Each holder's calls reserved and not yet settled, with their reserved tokens, and when they
    /// stop counting (ms since the epoch) unless the holder speaks again.
    public var holdings: [String: Holding] = [:]

    /// What one holder has leased and not settled.
    public struct Holding: Sendable, Hashable {
        public var requests = 0
        public var tokens = 0
        public var expiresAt: Int64 = 0
    }

    /// Calls reserved and not yet settled, and their reserved tokens: what the provider's
    /// `remaining` figures may not count yet.
    public var inFlightRequests: Int { holdings.values.reduce(0) { $0 + $1.requests } }
    public var inFlightTokens: Int { holdings.values.reduce(0) { $0 + $1.tokens } }

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

    /// Drops the holdings of holders silent past their horizon, then marks `holder` heard at `now`.
    mutating func hear(_ holder: ProviderHolder, now: Int64) {
        holdings = holdings.filter { $0.key == holder.id || $0.value.expiresAt > now }
        holdings[holder.id, default: Holding()].expiresAt = now + holder.horizonMilliseconds
    }

    /// Forgets `holder` when it holds nothing.
    private mutating func tidy(_ holder: ProviderHolder) {
        if let holding = holdings[holder.id], holding.requests == 0, holding.tokens == 0 { holdings[holder.id] = nil }
    }

    /// Leases a request and `request.tokens` tokens to `holder`, and up to what `request` wants
    /// while the budgets hold it and `request.windowMilliseconds` of each per-minute rate; or
    /// returns how long until the call at hand fits. A call larger than a whole minute's tokens
    /// waits for a full bucket, then goes. Leased amounts count in flight until a settlement closes
    /// them or the holder is silent past its horizon.
    public mutating func lease(_ request: ProviderLeaseRequest, holder: ProviderHolder, now: Int64, configured: ProviderLimits) -> ProviderLease {
        hear(holder, now: now)
        defer { tidy(holder) }
        if pausedUntil > now { return .wait(.milliseconds(pausedUntil - now)) }
        let limits = limits(configured)
        refill(now: now, limits: limits)
        let cost = Double(request.tokens)
        var wait = 0.0
        if let rpm = limits.requestsPerMinute, requests < 1 {
            wait = max(wait, (1 - requests) / (Double(rpm) / 60_000))
        }
        if let tpm = limits.tokensPerMinute {
            let needed = min(cost, Double(tpm))
            if tokens < needed { wait = max(wait, (needed - tokens) / (Double(tpm) / 60_000)) }
        }
        if wait > 0 { return .wait(.milliseconds(Int64(wait.rounded(.up)))) }
        let window = Double(request.windowMilliseconds)
        var leasedRequests: Int?
        if let rpm = limits.requestsPerMinute {
            let share = (Double(rpm) * window / 60_000).rounded(.down)
            let leased = Int(max(1, min(requests.rounded(.down), share, Double(request.requests))))
            requests -= Double(leased)
            holdings[holder.id, default: Holding()].requests += leased
            leasedRequests = leased
        }
        var leasedTokens: Int?
        if let tpm = limits.tokensPerMinute {
            let share = (Double(tpm) * window / 60_000).rounded(.down)
            let leased = Int(max(cost, min(tokens.rounded(.down), share, Double(request.wantedTokens))))
            tokens -= Double(leased)
            holdings[holder.id, default: Holding()].tokens += leased
            leasedTokens = leased
        }
        return .granted(requests: leasedRequests, tokens: leasedTokens)
    }

    /// Closes what `holder`'s `settlement` closes: takes its requests and tokens out of flight,
    /// gives back what was not used (never above a full bucket) or takes what calls used beyond;
    /// learns the provider's limits from its observation, and never believes more remains than the
    /// provider says less what is still in flight (it may not have seen those calls yet).
    public mutating func settle(_ settlement: ProviderSettlement, holder: ProviderHolder, now: Int64, configured: ProviderLimits) {
        hear(holder, now: now)
        defer { tidy(holder) }
        let observation = settlement.observation
        if let limit = observation?.limitRequests, limit > 0 { learned.requestsPerMinute = limit }
        if let limit = observation?.limitTokens, limit > 0 { learned.tokensPerMinute = limit }
        let limits = limits(configured)
        refill(now: now, limits: limits)
        requests = min(limits.requestsPerMinute.map(Double.init) ?? .infinity, requests + Double(settlement.requestsBack))
        tokens = min(limits.tokensPerMinute.map(Double.init) ?? .infinity, tokens + Double(settlement.tokensBack))
        var holding = holdings[holder.id, default: Holding()]
        holding.requests = max(0, holding.requests - settlement.requests)
        holding.tokens = max(0, holding.tokens - settlement.tokens)
        holdings[holder.id] = holding
        if let remaining = observation?.remainingRequests {
            requests = min(requests, Double(remaining - inFlightRequests))
        }
        if let remaining = observation?.remainingTokens {
            tokens = min(tokens, Double(remaining - inFlightTokens))
        }
    }
}
