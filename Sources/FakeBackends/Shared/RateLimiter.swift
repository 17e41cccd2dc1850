import Synchronization

/// Applies `RateLimits` with two token buckets shared by all endpoints of one server.
final class RateLimiter: Sendable {
    /// What the limiter decided for one request, with the figures for `x-ratelimit-*` headers.
    struct Decision: Sendable {
        /// nil when admitted; else the limit that refused it (`requests` or `tokens`).
        var refusedBy: String?
        /// How long until the request would have been admitted.
        var retryAfter: Duration
        /// The advertised limits and what remains after this request.
        var limitRequests: Int
        var remainingRequests: Int
        var resetRequests: Duration
        var limitTokens: Int
        var remainingTokens: Int
        var resetTokens: Duration
    }

    /// Shown in headers when a limit is not configured: plenty, never reached.
    static let unlimitedRequests = 10_000
    static let unlimitedTokens = 10_000_000

    private struct State {
        var requests: TokenBucket?
        var tokens: TokenBucket?
    }

    private let state: Mutex<State>

    /// A limiter with full buckets.
    init(limits: RateLimits) {
        let now = ContinuousClock.now
        state = Mutex(
            State(
                requests: limits.requestsPerMinute.map { TokenBucket(capacity: max(1, $0), now: now) },
                tokens: limits.tokensPerMinute.map { TokenBucket(capacity: max(1, $0), now: now) }
            )
        )
    }

    /// Admits a request costing one request and `tokens` tokens, or refuses it with an honest wait.
    func admit(tokens cost: Int, now: ContinuousClock.Instant = .now) -> Decision {
        state.withLock { state in
            let requestWait = state.requests?.wait(for: 1, now: now) ?? .zero
            let tokenWait = state.tokens?.wait(for: Double(cost), now: now) ?? .zero
            var refusedBy: String?
            if requestWait > .zero {
                refusedBy = "requests"
            } else if tokenWait > .zero {
                refusedBy = "tokens"
            } else {
                state.requests?.take(1, now: now)
                state.tokens?.take(Double(cost), now: now)
            }
            return Decision(
                refusedBy: refusedBy,
                retryAfter: max(requestWait, tokenWait),
                limitRequests: state.requests.map { Int($0.capacity) } ?? Self.unlimitedRequests,
                remainingRequests: state.requests?.remaining(now: now) ?? Self.unlimitedRequests,
                resetRequests: state.requests?.timeUntilFull(now: now) ?? .zero,
                limitTokens: state.tokens.map { Int($0.capacity) } ?? Self.unlimitedTokens,
                remainingTokens: state.tokens?.remaining(now: now) ?? Self.unlimitedTokens,
                resetTokens: state.tokens?.timeUntilFull(now: now) ?? .zero
            )
        }
    }

    /// Current figures without taking anything, for responses that bypass the limiter.
    func peek(now: ContinuousClock.Instant = .now) -> Decision {
        state.withLock { state in
            Decision(
                refusedBy: nil,
                retryAfter: .zero,
                limitRequests: state.requests.map { Int($0.capacity) } ?? Self.unlimitedRequests,
                remainingRequests: state.requests?.remaining(now: now) ?? Self.unlimitedRequests,
                resetRequests: state.requests?.timeUntilFull(now: now) ?? .zero,
                limitTokens: state.tokens.map { Int($0.capacity) } ?? Self.unlimitedTokens,
                remainingTokens: state.tokens?.remaining(now: now) ?? Self.unlimitedTokens,
                resetTokens: state.tokens?.timeUntilFull(now: now) ?? .zero
            )
        }
    }
}

/// One `RateLimiter` per model, as OpenAI limits each model apart: created on a model's first
/// request with its own limits, or the defaults.
final class ModelRateLimiters: Sendable {
    private let defaults: RateLimits
    private let models: [String: RateLimits]
    private let limiters = Mutex<[String: RateLimiter]>([:])

    /// Limiters with `models`' own limits and `defaults` for every other model.
    init(defaults: RateLimits, models: [String: RateLimits]) {
        self.defaults = defaults
        self.models = models
    }

    /// The limiter of `model` (nil: requests that name none, such as listing models).
    func limiter(for model: String?) -> RateLimiter {
        let name = model ?? ""
        return limiters.withLock { limiters in
            if let limiter = limiters[name] { return limiter }
            let limiter = RateLimiter(limits: models[name] ?? defaults)
            limiters[name] = limiter
            return limiter
        }
    }
}

extension Duration {
    /// Go-style duration text as OpenAI's reset headers use: `0s`, `20ms`, `1s`, `6m0s`, `1.5s`.
    var goStyle: String {
        let milliseconds = ceilMilliseconds
        if milliseconds <= 0 { return "0s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let totalSeconds = Double(milliseconds) / 1000
        let minutes = Int(totalSeconds / 60)
        let seconds = totalSeconds - Double(minutes * 60)
        let secondsText = seconds == seconds.rounded() ? String(Int(seconds)) : String(format3(seconds))
        return minutes > 0 ? "\(minutes)m\(secondsText)s" : "\(secondsText)s"
    }

    private func format3(_ value: Double) -> String {
        let scaled = (value * 1000).rounded() / 1000
        return scaled.description
    }
}
