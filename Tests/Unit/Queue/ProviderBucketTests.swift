import Testing
@testable import RAGQueue

/// The arithmetic of a provider's per-minute budgets (`ProviderBucket`), which both stores run.
@Suite("Provider budgets")
struct ProviderBucketTests {
    static let limits = ProviderLimits(requestsPerMinute: 60, tokensPerMinute: 6000)

    @Test("a full minute's worth goes at once; then calls wait for the refill of the scarcer budget")
    func reserveAndWait() {
        var bucket = ProviderBucket(now: 0)
        for _ in 0..<30 { #expect(bucket.reserve(tokens: 200, now: 0, configured: Self.limits) == .zero) }
        // 6,000 tokens spent by 30 calls: the next 200 take 2 s of refill (100 tokens a second).
        #expect(bucket.reserve(tokens: 200, now: 0, configured: Self.limits) == .seconds(2))
        #expect(bucket.reserve(tokens: 200, now: 2000, configured: Self.limits) == .zero)
        // Requests run out too: 60 a minute is one a second.
        var requests = ProviderBucket(now: 0)
        for _ in 0..<60 { _ = requests.reserve(tokens: 1, now: 0, configured: Self.limits) }
        #expect(requests.reserve(tokens: 1, now: 0, configured: Self.limits) == .seconds(1))
    }

    @Test("settling gives back what a call did not use, and takes what it used beyond")
    func settle() {
        var bucket = ProviderBucket(now: 0)
        _ = bucket.reserve(tokens: 6000, now: 0, configured: Self.limits)
        bucket.settle(reserved: 6000, used: 1000, observation: nil, now: 0, configured: Self.limits)
        #expect(bucket.tokens == 5000)
        bucket.settle(reserved: 0, used: 5500, observation: nil, now: 0, configured: Self.limits)
        #expect(bucket.tokens == -500)
        #expect(bucket.reserve(tokens: 100, now: 0, configured: Self.limits) == .seconds(6), "600 tokens to wait for")
    }

    @Test("without configured limits a model is not paced until its headers teach them; then what remains, less what is in flight, caps the budget")
    func learn() {
        var bucket = ProviderBucket(now: 0)
        for _ in 0..<10 { #expect(bucket.reserve(tokens: 1000, now: 0, configured: ProviderLimits()) == .zero) }
        // The first answer back: the provider had seen only its own call; nine more are on the way.
        let observation = ProviderLimits.Observation(limitRequests: 500, limitTokens: 30_000, remainingRequests: 499, remainingTokens: 29_000)
        bucket.settle(reserved: 1000, used: 1000, observation: observation, now: 0, configured: ProviderLimits())
        #expect(bucket.learned == ProviderLimits(requestsPerMinute: 500, tokensPerMinute: 30_000))
        #expect(bucket.inFlightRequests == 9)
        #expect(bucket.requests == 490)
        #expect(bucket.tokens == 20_000, "29,000 remaining less the 9,000 the calls in flight will spend")
        for _ in 0..<20 { #expect(bucket.reserve(tokens: 1000, now: 0, configured: ProviderLimits()) == .zero) }
        #expect(bucket.reserve(tokens: 1000, now: 0, configured: ProviderLimits()) == .seconds(2), "30,000 a minute is 500 a second")
    }

    @Test("a remaining figure never raises the budget, and settling a call no longer in flight changes nothing else")
    func remainingOnlyLowers() {
        var bucket = ProviderBucket(now: 0)
        _ = bucket.reserve(tokens: 100, now: 0, configured: Self.limits)
        let generous = ProviderLimits.Observation(remainingRequests: 60, remainingTokens: 6000)
        bucket.settle(reserved: 100, used: 100, observation: generous, now: 0, configured: Self.limits)
        #expect(bucket.requests == 59)
        #expect(bucket.tokens == 5900)
        bucket.settle(reserved: 0, used: 0, observation: nil, now: 0, configured: Self.limits)
        #expect(bucket.inFlightRequests == 0)
        #expect(bucket.inFlightTokens == 0)
    }

    @Test("a pause holds every reservation until it ends")
    func pause() {
        var bucket = ProviderBucket(now: 0)
        bucket.pausedUntil = 1500
        #expect(bucket.reserve(tokens: 1, now: 1000, configured: Self.limits) == .milliseconds(500))
        #expect(bucket.reserve(tokens: 1, now: 1500, configured: Self.limits) == .zero)
    }
}
