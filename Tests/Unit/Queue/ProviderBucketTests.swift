import Testing
@testable import RAGQueue

/// The arithmetic of a provider's per-minute budgets (`ProviderBucket`), which both stores run.
@Suite("Provider budgets")
struct ProviderBucketTests {
    static let limits = ProviderLimits(requestsPerMinute: 60, tokensPerMinute: 6000)
    /// The one worker of most tests, heard from within its horizon throughout.
    static let holder = ProviderHolder(id: "w1", horizon: .seconds(600))

    /// A lease of the call at hand only (a window of zero).
    static func call(_ tokens: Int) -> ProviderLeaseRequest {
        ProviderLeaseRequest(tokens: tokens)
    }

    @Test("a full minute's worth goes at once; then calls wait for the refill of the scarcer budget")
    func leaseAndWait() {
        var bucket = ProviderBucket(now: 0)
        for _ in 0..<30 { #expect(bucket.lease(Self.call(200), holder: Self.holder, now: 0, configured: Self.limits) == .granted(requests: 1, tokens: 200)) }
        // 6,000 tokens spent by 30 calls: the next 200 take 2 s of refill (100 tokens a second).
        #expect(bucket.lease(Self.call(200), holder: Self.holder, now: 0, configured: Self.limits) == .wait(.seconds(2)))
        #expect(bucket.lease(Self.call(200), holder: Self.holder, now: 2000, configured: Self.limits) == .granted(requests: 1, tokens: 200))
        // Requests run out too: 60 a minute is one a second.
        var requests = ProviderBucket(now: 0)
        for _ in 0..<60 { _ = requests.lease(Self.call(1), holder: Self.holder, now: 0, configured: Self.limits) }
        #expect(requests.lease(Self.call(1), holder: Self.holder, now: 0, configured: Self.limits) == .wait(.seconds(1)))
    }

    @Test("a lease takes what the caller wants, no more than its window of each rate and what is left, never less than the call at hand")
    func leaseSize() {
        var bucket = ProviderBucket(now: 0)
        // 10 s of 60 a minute is 10 requests; of 6,000 tokens a minute, 1,000.
        let wide = ProviderLeaseRequest(tokens: 50, requests: 100, wantedTokens: 100_000, windowMilliseconds: 10_000)
        #expect(bucket.lease(wide, holder: Self.holder, now: 0, configured: Self.limits) == .granted(requests: 10, tokens: 1000))
        let modest = ProviderLeaseRequest(tokens: 50, requests: 3, wantedTokens: 150, windowMilliseconds: 10_000)
        #expect(bucket.lease(modest, holder: Self.holder, now: 0, configured: Self.limits) == .granted(requests: 3, tokens: 150))
        #expect(bucket.inFlightRequests == 13)
        #expect(bucket.inFlightTokens == 1150)
        // 4,850 tokens left: a minute's window gets them all, and a call larger than that waits.
        let all = ProviderLeaseRequest(tokens: 10, requests: 100, wantedTokens: 100_000, windowMilliseconds: 60_000)
        #expect(bucket.lease(all, holder: Self.holder, now: 0, configured: Self.limits) == .granted(requests: 47, tokens: 4850))
        #expect(bucket.lease(Self.call(6000), holder: Self.holder, now: 0, configured: Self.limits) == .wait(.seconds(60)))
        // A call larger than a whole minute's tokens goes on a full bucket, and takes it below zero.
        var full = ProviderBucket(now: 0)
        #expect(full.lease(Self.call(9000), holder: Self.holder, now: 0, configured: Self.limits) == .granted(requests: 1, tokens: 9000))
        #expect(full.tokens == -3000)
    }

    @Test("settling gives back what a lease left and calls did not use, and takes what they used beyond, never above a full bucket")
    func settle() {
        var bucket = ProviderBucket(now: 0)
        _ = bucket.lease(ProviderLeaseRequest(tokens: 6000), holder: Self.holder, now: 0, configured: Self.limits)
        bucket.settle(ProviderSettlement(requests: 1, tokens: 6000, tokensBack: 5000), holder: Self.holder, now: 0, configured: Self.limits)
        #expect(bucket.tokens == 5000)
        #expect(bucket.inFlightTokens == 0)
        bucket.settle(ProviderSettlement(tokensBack: -5500), holder: Self.holder, now: 0, configured: Self.limits)
        #expect(bucket.tokens == -500)
        #expect(bucket.lease(Self.call(100), holder: Self.holder, now: 0, configured: Self.limits) == .wait(.seconds(6)), "600 tokens to wait for")
        bucket.settle(ProviderSettlement(requestsBack: 5, tokensBack: 90_000), holder: Self.holder, now: 0, configured: Self.limits)
        #expect(bucket.requests == 60, "59 left and 5 back, but a minute's worth at most")
        #expect(bucket.tokens == 6000)
    }

    @Test("without configured limits a model is not paced until its headers teach them; then what remains, less what is in flight, caps the budget")
    func learn() {
        var bucket = ProviderBucket(now: 0)
        let wide = ProviderLeaseRequest(tokens: 1000, requests: 100, wantedTokens: 100_000, windowMilliseconds: 1000)
        #expect(bucket.lease(wide, holder: Self.holder, now: 0, configured: ProviderLimits()) == .granted(requests: nil, tokens: nil))
        #expect(bucket.inFlightRequests == 0, "nothing unpaced counts in flight")
        // The first answer back teaches the limits; a lease of 9 calls is out meanwhile.
        let observation = ProviderLimits.Observation(limitRequests: 500, limitTokens: 30_000, remainingRequests: 499, remainingTokens: 29_000)
        bucket.settle(ProviderSettlement(observation: observation), holder: Self.holder, now: 0, configured: ProviderLimits())
        #expect(bucket.learned == ProviderLimits(requestsPerMinute: 500, tokensPerMinute: 30_000))
        #expect(bucket.requests == 499)
        #expect(bucket.tokens == 29_000)
        let nine = ProviderLeaseRequest(tokens: 1000, requests: 9, wantedTokens: 9000, windowMilliseconds: 60_000)
        #expect(bucket.lease(nine, holder: Self.holder, now: 0, configured: ProviderLimits()) == .granted(requests: 9, tokens: 9000))
        let again = ProviderLimits.Observation(remainingRequests: 498, remainingTokens: 28_000)
        bucket.settle(ProviderSettlement(observation: again), holder: Self.holder, now: 0, configured: ProviderLimits())
        #expect(bucket.requests == 489, "498 remaining less the 9 leased")
        #expect(bucket.tokens == 19_000, "28,000 remaining less the 9,000 leased")
    }

    @Test("a remaining figure never raises the budget, and settling what is no longer in flight changes nothing else")
    func remainingOnlyLowers() {
        var bucket = ProviderBucket(now: 0)
        _ = bucket.lease(Self.call(100), holder: Self.holder, now: 0, configured: Self.limits)
        let generous = ProviderLimits.Observation(remainingRequests: 60, remainingTokens: 6000)
        bucket.settle(ProviderSettlement(requests: 1, tokens: 100, observation: generous), holder: Self.holder, now: 0, configured: Self.limits)
        #expect(bucket.requests == 59)
        #expect(bucket.tokens == 5900)
        bucket.settle(ProviderSettlement(requests: 3, tokens: 300), holder: Self.holder, now: 0, configured: Self.limits)
        #expect(bucket.inFlightRequests == 0)
        #expect(bucket.inFlightTokens == 0)
        #expect(bucket.requests == 59)
    }

    @Test("a pause holds every lease until it ends")
    func pause() {
        var bucket = ProviderBucket(now: 0)
        bucket.pausedUntil = 1500
        #expect(bucket.lease(Self.call(1), holder: Self.holder, now: 1000, configured: Self.limits) == .wait(.milliseconds(500)))
        #expect(bucket.lease(Self.call(1), holder: Self.holder, now: 1500, configured: Self.limits) == .granted(requests: 1, tokens: 1))
    }

    @Test("what a worker leased stops counting in flight once it has been silent past its horizon; a live worker's stays")
    func silentHolder() {
        var bucket = ProviderBucket(now: 0)
        let killed = ProviderHolder(id: "killed", horizon: .seconds(10))
        let alive = ProviderHolder(id: "alive", horizon: .seconds(10))
        #expect(bucket.lease(Self.call(100), holder: killed, now: 0, configured: Self.limits) == .granted(requests: 1, tokens: 100))
        #expect(bucket.lease(Self.call(50), holder: alive, now: 5000, configured: Self.limits) == .granted(requests: 1, tokens: 50))
        let said = ProviderSettlement(observation: .init(remainingRequests: 50, remainingTokens: 5000))
        var before = bucket
        before.settle(said, holder: alive, now: 9999, configured: Self.limits)
        #expect(before.requests == 48, "the provider's 50 less both calls in flight")
        // The killed worker was last heard at 0: at 10 s its call no longer counts, the live one's does.
        bucket.settle(said, holder: alive, now: 10_000, configured: Self.limits)
        #expect(bucket.inFlightRequests == 1 && bucket.inFlightTokens == 50)
        #expect(bucket.requests == 49, "the provider's 50 less the live worker's call")
        #expect(bucket.tokens == 4950)
        // A worker only frozen, settling late, takes nothing of anyone's in flight.
        bucket.settle(ProviderSettlement(requests: 1, tokens: 100), holder: killed, now: 11_000, configured: Self.limits)
        #expect(bucket.inFlightRequests == 1 && bucket.inFlightTokens == 50)
    }
}
