import Logging
import Synchronization
import Testing
@testable import RAGQueue

/// A pacer's leases: calls spend a slice of the shared budget without asking the store each time,
/// and everything a lease took goes back (used or not) when it is settled.
@Suite("Provider pacer leases")
struct ProviderPacerTests {
    /// A clock that does not move: no budget refills while a test runs.
    struct FrozenClock: WallClock {
        func nowMilliseconds() -> Int64 { 1_800_000_000_000 }
    }

    /// The queue's in-memory store, counting the calls that reach it.
    final class CountingStore: ProviderLimitStore {
        let store: InMemoryJobStore
        let calls = Mutex(0)

        init() throws {
            store = try InMemoryJobStore(clock: FrozenClock())
        }

        func leaseProviderCapacity(
            model: String, holder: ProviderHolder, settling settlement: ProviderSettlement, lease: ProviderLeaseRequest?, limits: ProviderLimits
        ) async throws(QueueError) -> ProviderLease {
            calls.withLock { $0 += 1 }
            return try await store.leaseProviderCapacity(model: model, holder: holder, settling: settlement, lease: lease, limits: limits)
        }

        func pauseProvider(model: String, for duration: Duration) async throws(QueueError) {
            try await store.pauseProvider(model: model, for: duration)
        }

        /// The holder that reads what is left.
        static let reader = ProviderHolder(id: "reader", horizon: .seconds(600))

        /// What the budget has left: everything a lease of a whole minute can take.
        func left(_ model: String, limits: ProviderLimits) async throws -> ProviderLease {
            let everything = ProviderLeaseRequest(tokens: 0, requests: .max / 2, wantedTokens: .max / 2, windowMilliseconds: 60_000)
            return try await store.leaseProviderCapacity(model: model, holder: Self.reader, settling: ProviderSettlement(), lease: everything, limits: limits)
        }
    }

    static let limits = ProviderLimits(requestsPerMinute: 6000, tokensPerMinute: 600_000)
    /// Another worker, leasing straight from the store.
    static let other = ProviderHolder(id: "other", horizon: .seconds(600))

    /// A pacer whose leases last a minute: nothing ends them while a test runs but a flush.
    static func pacer(_ store: CountingStore, limits: ProviderLimits = limits) -> ProviderPacer {
        ProviderPacer(model: "m", limits: limits, store: store, leaseWindow: .seconds(60), logger: Logger(label: "pacer"))
    }

    @Test("a run of calls asks the store a few times, not once per call, and the budget is charged exactly what they used")
    func fewStoreCalls() async throws {
        let store = try CountingStore()
        let pacer = Self.pacer(store)
        for _ in 0..<100 {
            _ = try await pacer.paced(estimate: 100, { 30 }, used: { $0 })
        }
        #expect(store.calls.withLock { $0 } < 10, "the first lease is of one call; the next ones are sized to their pace")
        await pacer.flush(closingLease: true)
        #expect(try await store.left("m", limits: Self.limits) == .granted(requests: 5900, tokens: 597_000), "100 requests and 100 x 30 tokens")
    }

    @Test("concurrent callers share one call to the store and one lease")
    func concurrentCallers() async throws {
        let store = try CountingStore()
        let pacer = Self.pacer(store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { _ = try await pacer.paced(estimate: 10, { 10 }, used: { $0 }) }
            }
            try await group.waitForAll()
        }
        #expect(store.calls.withLock { $0 } < 50)
        await pacer.flush(closingLease: true)
        #expect(try await store.left("m", limits: Self.limits) == .granted(requests: 5950, tokens: 599_500))
    }

    @Test("what one worker's lease holds another waits for, until it is given back")
    func leasesAreShared() async throws {
        let store = try CountingStore()
        let limits = ProviderLimits(requestsPerMinute: 10)
        let first = Self.pacer(store, limits: limits)
        for _ in 0..<4 { _ = try await first.paced(estimate: 1, { 1 }, used: { $0 }) }
        // The first worker's second lease took the other nine: it used three and holds six.
        let other = ProviderLeaseRequest(tokens: 1)
        #expect(try await store.leaseProviderCapacity(model: "m", holder: Self.other, settling: .init(), lease: other, limits: limits) == .wait(.seconds(6)))
        await first.flush(closingLease: true)
        #expect(try await store.left("m", limits: limits) == .granted(requests: 6, tokens: nil))
    }

    @Test("with no limit known a call is not paced, and the first headers that teach one end the unpaced lease")
    func learnsLimits() async throws {
        let store = try CountingStore()
        let pacer = Self.pacer(store, limits: ProviderLimits())
        _ = try await pacer.paced(estimate: 10, { 10 }, used: { $0 })
        _ = try await pacer.paced(estimate: 10, { 10 }, used: { $0 })
        #expect(store.calls.withLock { $0 } == 1, "one unpaced lease for both")
        let headers: HTTPClientHeaders = [
            "x-ratelimit-limit-requests": "100", "x-ratelimit-limit-tokens": "1000",
            "x-ratelimit-remaining-requests": "90", "x-ratelimit-remaining-tokens": "900",
        ]
        pacer.observe(try #require(OpenAIRateLimitHeaders(headers)))
        _ = try await pacer.paced(estimate: 10, { 10 }, used: { $0 })
        _ = try await pacer.paced(estimate: 10, { 10 }, used: { $0 })
        await pacer.flush(closingLease: true)
        let left = try await store.left("m", limits: ProviderLimits())
        #expect(left == .granted(requests: 89, tokens: 890), "90 and 900 remaining when taught, less the call after them")
    }

    @Test("a 429 pauses the model for every worker, and what the refused call reserved comes back")
    func rateLimitedPausesEveryone() async throws {
        let store = try CountingStore()
        let pacer = Self.pacer(store)
        _ = try await pacer.paced(estimate: 100, { 100 }, used: { $0 })
        let refusal = BackendError(.rateLimited, backend: "openai", status: 429, message: "slow down", retryAfter: .seconds(2))
        await #expect(throws: BackendError.self) {
            _ = try await pacer.paced(estimate: 100, { () async throws -> Int in throw refusal }, used: { $0 })
        }
        let other = ProviderLeaseRequest(tokens: 1)
        #expect(try await store.leaseProviderCapacity(model: "m", holder: Self.other, settling: .init(), lease: other, limits: Self.limits) == .wait(.seconds(2)))
        await pacer.flush(closingLease: true)
        let bucket = try #require(store.store.state.withLock { $0.providers["m"] })
        #expect(bucket.requests == 5998, "two requests went to the provider")
        #expect(bucket.tokens == 599_900, "only the first call's tokens are spent")
        #expect(bucket.inFlightRequests == 0)
        #expect(bucket.inFlightTokens == 0)
    }

    @Test("an unreachable store never stops a call: it goes unpaced")
    func unreachableStore() async throws {
        struct Down: ProviderLimitStore {
            func leaseProviderCapacity(
                model: String, holder: ProviderHolder, settling settlement: ProviderSettlement, lease: ProviderLeaseRequest?, limits: ProviderLimits
            ) async throws(QueueError) -> ProviderLease {
                throw .backendUnavailable("Valkey is down")
            }
            func pauseProvider(model: String, for duration: Duration) async throws(QueueError) {
                throw .backendUnavailable("Valkey is down")
            }
        }
        let pacer = ProviderPacer(model: "m", limits: Self.limits, store: Down(), leaseWindow: .seconds(60), logger: Logger(label: "pacer"))
        for call in 0..<3 {
            #expect(try await pacer.paced(estimate: 10, { call }, used: { _ in 10 }) == call)
        }
    }
}
