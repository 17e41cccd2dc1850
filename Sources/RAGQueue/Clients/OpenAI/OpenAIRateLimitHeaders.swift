/// What an OpenAI response says of the caller's rate limits (`x-ratelimit-*`): the limits per
/// minute and what remains of them now.
public struct OpenAIRateLimitHeaders: Sendable, Hashable {
    /// `x-ratelimit-limit-requests`.
    public var limitRequests: Int?
    /// `x-ratelimit-limit-tokens`.
    public var limitTokens: Int?
    /// `x-ratelimit-remaining-requests`.
    public var remainingRequests: Int?
    /// `x-ratelimit-remaining-tokens`.
    public var remainingTokens: Int?

    /// The figures in `headers`; nil when they carry none.
    public init?(_ headers: HTTPClientHeaders) {
        func number(_ name: String) -> Int? { headers[name].flatMap { Int($0.trimmingWhitespace) } }
        limitRequests = number("x-ratelimit-limit-requests")
        limitTokens = number("x-ratelimit-limit-tokens")
        remainingRequests = number("x-ratelimit-remaining-requests")
        remainingTokens = number("x-ratelimit-remaining-tokens")
        if limitRequests == nil, limitTokens == nil, remainingRequests == nil, remainingTokens == nil { return nil }
    }
}

/// Called with the rate-limit headers of every response of one client (success or error), before
/// its result is returned; provider pacing learns from it.
public typealias OpenAIRateLimitObserver = @Sendable (OpenAIRateLimitHeaders) async -> Void
