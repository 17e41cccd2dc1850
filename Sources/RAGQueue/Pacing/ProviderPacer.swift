import Logging
import Synchronization

/// Paces one model's calls against its provider's per-minute budgets, which every worker process
/// shares through the queue's store (`ProviderLimitStore`). A call takes a request and its
/// estimated tokens from the pacer's lease, a slice of the budgets it holds for up to
/// `leaseWindow`; when the lease cannot hold the call, one call to the store settles what the
/// earlier calls used and leases again, sized to the calls of the last lease (no more than
/// `leaseWindow` of each rate), or says how long to wait (the job's lease renewals go on
/// meanwhile). What calls used beyond or below their estimates, and what a lease left unused, go
/// back to the store with the next lease, or `leaseWindow` after the last call at the latest.
/// A 429 pauses the model for everyone, for as long as the provider asked. Limits not configured
/// are learned from the `x-ratelimit-*` headers.
///
/// The store being unreachable never stops a call: pacing is a courtesy to the provider, the
/// queue's retries are the safety net.
public final class ProviderPacer: Sendable {
    /// The model whose budgets this paces.
    public let model: String
    /// Limits set by configuration; unset ones are learned.
    public let limits: ProviderLimits
    /// How long a lease lasts, and the largest slice of each per-minute rate it takes.
    public let leaseWindow: Duration
    /// This pacer as the store knows it: what it leased counts in flight until it settles, or for
    /// its horizon after its last word (a call's deadline and the settling after it, with a
    /// minute's margin) should its process die first.
    public let holder: ProviderHolder
    private let store: any ProviderLimitStore
    private let logger: Logger
    private let state = Mutex(LeaseState())
    /// The longest single wait before the budget is asked again.
    static let maximumWait: Duration = .seconds(5)

    /// Whether and by what limits calls are paced.
    public struct Configuration: Sendable, Hashable {
        /// Whether calls wait for the providers' budgets. Default true.
        public var isEnabled = true
        /// The chat model's limits; unset ones are learned from its responses.
        public var chat = ProviderLimits()
        /// The embeddings model's limits; unset ones are learned from its responses.
        public var embeddings = ProviderLimits()
        /// How long a worker's lease of a budget lasts, and the largest slice of each rate it
        /// takes. Default 250 ms; zero asks the store before every call.
        public var leaseWindow: Duration = .milliseconds(250)

        /// The defaults: on, limits learned.
        public init() {}
    }

    /// A call's share of a lease: whether it took a counted request and how many counted tokens
    /// (nil when that budget is not paced). Handed back when the call ends.
    public struct Ticket: Sendable, Hashable {
        var request: Bool
        var tokens: Int?
    }

    /// A pacer of `model`'s calls through `store`, leasing up to `leaseWindow` of the rates, for
    /// calls that last at most `callDeadline`.
    public init(
        model: String, limits: ProviderLimits, store: any ProviderLimitStore, leaseWindow: Duration = .milliseconds(250),
        callDeadline: Duration = .seconds(600), logger: Logger
    ) {
        self.model = model
        self.limits = limits
        self.store = store
        self.leaseWindow = max(.zero, leaseWindow)
        self.holder = ProviderHolder(id: JobID().rawValue, horizon: max(.zero, callDeadline) + self.leaseWindow * 2 + .seconds(60))
        self.logger = logger
    }

    /// Notes a response's rate-limit headers (the client's observer); they go to the store with
    /// the settlement of the call.
    public func observe(_ headers: OpenAIRateLimitHeaders) {
        let observation = ProviderLimits.Observation(
            limitRequests: headers.limitRequests, limitTokens: headers.limitTokens,
            remainingRequests: headers.remainingRequests, remainingTokens: headers.remainingTokens
        )
        state.withLock { $0.observed = observation }
    }

    /// Runs `call` once `estimate` tokens are reserved; settles with `used(result)` tokens.
    public func paced<T: Sendable>(estimate: Int, _ call: () async throws -> T, used: (T) -> Int) async throws -> T {
        try await paced(estimate: estimate, passing: (), { _ in try await call() }, used: used)
    }

    /// Runs `call` with `input` once `estimate` tokens are reserved; settles with `used(result)`
    /// tokens. The input is handed over, not captured: a call that lets go of it early (a chat
    /// model once its request is built) holds it no longer than that.
    public func paced<Input, T: Sendable>(
        estimate: Int, passing input: consuming Input, _ call: (consuming Input) async throws -> T, used: (T) -> Int
    ) async throws -> T {
        let ticket = try await reserve(estimate)
        let result: T
        do {
            result = try await call(input)
        } catch {
            await refused(ticket, error: error)
            throw error
        }
        settle(ticket, used: used(result))
        return result
    }

    /// A call failed and used nothing: its reservation comes back, and after a 429 everyone waits
    /// as long as the provider asked (this process's lease ends at once).
    func refused(_ ticket: Ticket, error: any Error) async {
        settle(ticket, used: 0)
        guard let error = error as? BackendError, error.code == .rateLimited else { return }
        let pause = error.retryAfter ?? .seconds(1)
        state.withLock { state in
            state.closeLease()
            state.notBefore = ContinuousClock.now + pause
        }
        try? await store.pauseProvider(model: model, for: pause)
    }

    /// Takes a request and `tokens` from the lease, leasing again (or waiting) when it cannot
    /// hold them.
    func reserve(_ tokens: Int) async throws -> Ticket {
        let tokens = max(0, tokens)
        while true {
            let now = ContinuousClock.now
            let step: ReserveStep = state.withLock { state in
                if let ticket = state.take(tokens, now: now) { return .go(ticket) }
                if let syncing = state.syncing { return .follow(syncing) }
                if let notBefore = state.notBefore, notBefore > now { return .sleep(notBefore - now) }
                return .lead(startSync(&state, now: now, forCallOf: tokens))
            }
            switch step {
            case .go(let ticket):
                return ticket
            case .lead(let sync):
                if let ticket = await sync.value { return ticket }
            case .follow(let sync):
                _ = await sync.value
            case .sleep(let wait):
                try await Task.sleep(for: min(wait, Self.maximumWait))
            }
        }
    }

    /// The call of `ticket` ended having used `used` tokens: its share goes into the next
    /// settlement, with the provider's latest headers.
    func settle(_ ticket: Ticket, used: Int) {
        state.withLock { state in
            if ticket.request { state.settlement.requests += 1 }
            if let tokens = ticket.tokens {
                state.settlement.tokens += tokens
                state.settlement.tokensBack += tokens - used
            }
            if let observed = state.observed {
                state.observed = nil
                state.settlement.observation = observed
                // A budget the lease took as unpaced has a limit now: the next call leases again.
                if (state.requests == nil && observed.limitRequests != nil) || (state.tokens == nil && observed.limitTokens != nil) {
                    state.closeLease()
                }
            }
            scheduleFlush(&state)
        }
    }

    /// Sends what is left to settle now, ending the lease first when it has expired (or when
    /// `closingLease`, whatever its age: a worker stopping gives back what it holds).
    public func flush(closingLease: Bool = false) async {
        let now = ContinuousClock.now
        let sync: Task<Ticket?, Never>? = state.withLock { state in
            state.flushScheduled = false
            if let syncing = state.syncing { return closingLease ? syncing : nil }
            if closingLease || (state.expires.map { $0 <= now } ?? false) { state.closeLease() }
            guard !state.settlement.isEmpty else {
                scheduleFlush(&state)
                return nil
            }
            return startSync(&state, now: now, forCallOf: nil)
        }
        _ = await sync?.value
        if closingLease, sync != nil { await flush(closingLease: true) }
    }

    /// Starts the one call to the store that settles what is pending and, for a call of
    /// `tokens`, leases again; the task's value is that call's ticket.
    private func startSync(_ state: inout LeaseState, now: ContinuousClock.Instant, forCallOf tokens: Int?) -> Task<Ticket?, Never> {
        state.closeLease()
        let settlement = state.settlement
        state.settlement = ProviderSettlement()
        var lease: ProviderLeaseRequest?
        if let tokens {
            // What the last lease's calls spent, scaled from their pace to the window, with this call.
            let elapsed = max((now - state.periodStart) / .milliseconds(1), 1)
            let scale = (leaseWindow / .milliseconds(1)) / elapsed
            lease = ProviderLeaseRequest(
                tokens: tokens, requests: Int((Double(state.periodRequests) * scale).rounded(.up)) + 1,
                wantedTokens: Int((Double(state.periodTokens) * scale).rounded(.up)) + tokens,
                windowMilliseconds: leaseWindow.milliseconds
            )
            state.periodStart = now
            state.periodRequests = 0
            state.periodTokens = 0
        }
        let sync = Task { await self.sync(settlement, lease: lease) }
        state.syncing = sync
        return sync
    }

    /// One call to the store; keeps the lease it grants (taking the asking call's share first) or
    /// the wait it says.
    private func sync(_ settlement: ProviderSettlement, lease: ProviderLeaseRequest?) async -> Ticket? {
        let answer: ProviderLease
        do {
            answer = try await store.leaseProviderCapacity(model: model, holder: holder, settling: settlement, lease: lease, limits: limits)
        } catch {
            logger.debug("provider budget unreachable; calling without pacing", metadata: ["model": .string(model)])
            answer = lease == nil ? .none : .granted(requests: nil, tokens: nil)
        }
        let now = ContinuousClock.now
        return state.withLock { state in
            state.syncing = nil
            var ticket: Ticket?
            switch answer {
            case .granted(let requests, let tokens):
                state.requests = requests
                state.tokens = tokens
                state.expires = now + leaseWindow
                ticket = lease.flatMap { state.take($0.tokens, now: now, ignoringExpiry: true) }
            case .wait(let wait):
                state.notBefore = now + wait
            case .none:
                break
            }
            scheduleFlush(&state)
            return ticket
        }
    }

    /// Makes sure a flush follows within the window while anything is left to settle or a lease
    /// holds counted amounts.
    private func scheduleFlush(_ state: inout LeaseState) {
        guard !state.flushScheduled, state.syncing == nil, !state.settlement.isEmpty || state.holdsCountedLease else { return }
        state.flushScheduled = true
        let delay = leaseWindow
        Task {
            try? await Task.sleep(for: delay)
            await self.flush()
        }
    }

    /// Tokens of `text`: about four bytes each, rounded up (what providers count, near enough).
    static func tokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }
}

/// What a caller of `reserve` does next.
private enum ReserveStep: Sendable {
    /// Goes, with this share of the lease.
    case go(ProviderPacer.Ticket)
    /// Waits for the call to the store it started; its value is the caller's ticket.
    case lead(Task<ProviderPacer.Ticket?, Never>)
    /// Waits for another caller's call to the store, then looks again.
    case follow(Task<ProviderPacer.Ticket?, Never>)
    /// Waits this long (the budgets are spent or the model paused), then looks again.
    case sleep(Duration)
}

/// A pacer's lease and what it owes the store.
private struct LeaseState: Sendable {
    /// What the lease has left: requests and tokens, nil for a budget not paced.
    var requests: Int? = 0
    var tokens: Int? = 0
    /// When the lease ends; nil: no lease.
    var expires: ContinuousClock.Instant?
    /// When the requests and tokens taken since `periodStart` were counted from: the pace the next
    /// lease is sized to.
    var periodStart = ContinuousClock.now
    var periodRequests = 0
    var periodTokens = 0
    /// What goes to the store with the next call.
    var settlement = ProviderSettlement()
    /// The provider's latest headers, for the next settlement.
    var observed: ProviderLimits.Observation?
    /// The call to the store under way, if any (one at a time).
    var syncing: Task<ProviderPacer.Ticket?, Never>?
    /// No lease asked before this: the store said wait, or the provider said 429.
    var notBefore: ContinuousClock.Instant?
    var flushScheduled = false

    /// Whether the lease holds requests or tokens the store counts as taken.
    var holdsCountedLease: Bool {
        expires != nil && ((requests ?? 0) > 0 || (tokens ?? 0) > 0)
    }

    /// A request and `cost` tokens from the lease, or nil when it has ended or cannot hold them.
    mutating func take(_ cost: Int, now: ContinuousClock.Instant, ignoringExpiry: Bool = false) -> ProviderPacer.Ticket? {
        guard let expires, ignoringExpiry || now < expires else { return nil }
        if let requests, requests < 1 { return nil }
        if let tokens, tokens < cost { return nil }
        requests = requests.map { $0 - 1 }
        tokens = tokens.map { $0 - cost }
        periodRequests += 1
        periodTokens += cost
        return ProviderPacer.Ticket(request: requests != nil, tokens: tokens == nil ? nil : cost)
    }

    /// Ends the lease; what it had left goes back with the next settlement.
    mutating func closeLease() {
        if let requests, requests > 0, expires != nil {
            settlement.requests += requests
            settlement.requestsBack += requests
        }
        if let tokens, tokens > 0, expires != nil {
            settlement.tokens += tokens
            settlement.tokensBack += tokens
        }
        requests = 0
        tokens = 0
        expires = nil
    }
}
