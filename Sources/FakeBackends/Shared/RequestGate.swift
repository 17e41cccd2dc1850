import Hummingbird
import Synchronization

/// The part of request handling both fakes share: counting, the per-request seeded generator,
/// injected faults (server plan and `X-Fake-*` headers), the concurrency limit and latency.
final class RequestGate<Endpoint: Hashable & Sendable>: Sendable {
    /// What the gate decided for one request.
    struct Ticket: Sendable {
        /// 0-based number of this request at its endpoint.
        var sequence: Int
        /// The request's own generator (seed + request hash + sequence), for latency and the like.
        var random: SeededRandom
        /// The fault to inject instead of answering, if any.
        var fault: FaultKind?
        /// The delay to advertise if the fault is a 429 or 503.
        var retryAfter: Duration
    }

    let seed: UInt64
    let counters: FakeServerCounters<Endpoint>
    let latency: LatencyProfile<Endpoint>
    private let plan: Mutex<FaultPlan<Endpoint>>
    private let limiter: ConcurrencyLimiter?
    private let keyedFaultCounts = Mutex<[String: Int]>([:])

    /// A gate with the given behaviour; `concurrencyLimit` nil means no limit.
    init(
        seed: UInt64,
        latency: LatencyProfile<Endpoint>,
        faults: FaultPlan<Endpoint>,
        concurrencyLimit: Int?,
        counters: FakeServerCounters<Endpoint>
    ) {
        self.seed = seed
        self.latency = latency
        self.plan = Mutex(faults)
        self.limiter = concurrencyLimit.map { ConcurrencyLimiter(limit: $0) }
        self.counters = counters
    }

    /// The fault plan in force.
    var faults: FaultPlan<Endpoint> { plan.withLock { $0 } }

    /// Puts `faults` in force for the requests admitted from now on.
    func setFaults(_ faults: FaultPlan<Endpoint>) {
        plan.withLock { $0 = faults }
    }

    /// A stable hash of method, path and body: the request's identity for seeded choices.
    static func requestHash(method: String, path: String, body: [UInt8]) -> UInt64 {
        var hash = StableHash.hash(method.utf8)
        hash = StableHash.hash(path.utf8, seed: hash)
        return StableHash.hash(body, seed: hash)
    }

    /// Counts the request and decides its fault: headers first, then the server's plan. The fault
    /// is counted by `inject` when the server actually carries it out (after authentication).
    func admit(_ endpoint: Endpoint, requestHash: UInt64, request: Request) -> Ticket {
        let sequence = counters.recordRequest(endpoint)
        let endpointHash = StableHash.hash(String(describing: endpoint))
        var faultRandom = SeededRandom(mixing: seed, endpointHash, requestHash, UInt64(sequence), 0xFA17)
        let random = SeededRandom(mixing: seed, endpointHash, requestHash, UInt64(sequence), 0x1A7E)

        let faults = self.faults
        var retryAfter = faults.retryAfter
        if let text = HTTPSupport.header("x-fake-retry-after-ms", in: request), let milliseconds = Int64(text.trimmingSpaces),
            milliseconds >= 0
        {
            retryAfter = .milliseconds(min(milliseconds, 86_400_000))  // a day at most: keeps the header arithmetic in range
        }
        var fault = headerFault(request)
        if fault == nil {
            fault = faults.rule(for: endpoint).fault(sequence: sequence, random: &faultRandom)
        }
        return Ticket(sequence: sequence, random: random, fault: fault, retryAfter: retryAfter)
    }

    /// The `X-Fake-Fault` fault, limited to the first `X-Fake-Fault-Times` requests of its key.
    private func headerFault(_ request: Request) -> FaultKind? {
        guard let text = HTTPSupport.header("x-fake-fault", in: request), let kind = FaultKind(headerValue: text) else {
            return nil
        }
        guard let timesText = HTTPSupport.header("x-fake-fault-times", in: request), let times = Int(timesText.trimmingSpaces)
        else { return kind }
        let key = HTTPSupport.header("x-fake-fault-key", in: request) ?? ""
        let seen = keyedFaultCounts.withLock { counts -> Int in
            counts[key, default: 0] += 1
            return counts[key, default: 0]
        }
        return seen <= times ? kind : nil
    }

    /// Counts the ticket's fault as injected and returns it.
    func inject(_ endpoint: Endpoint, ticket: Ticket) -> FaultKind? {
        if let fault = ticket.fault { counters.recordFault(endpoint, kind: fault) }
        return ticket.fault
    }

    /// Waits for a slot under the concurrency limit. The slot is freed by `Lease.release()` or,
    /// failing that, when the lease is dropped (a stream body that never ran, say).
    func enter() async throws -> Lease {
        try await limiter?.acquire()
        return Lease(limiter: limiter)
    }

    /// A slot under the concurrency limit, released exactly once.
    final class Lease: Sendable {
        private let limiter: ConcurrencyLimiter?
        private let released = Mutex(false)

        fileprivate init(limiter: ConcurrencyLimiter?) {
            self.limiter = limiter
        }

        /// Frees the slot; later calls do nothing.
        func release() {
            let first = released.withLock { flag -> Bool in
                defer { flag = true }
                return !flag
            }
            if first { limiter?.release() }
        }

        deinit {
            release()
        }
    }

    /// Sleeps for the endpoint's latency, drawn from the ticket's generator.
    func delay(_ endpoint: Endpoint, ticket: inout Ticket) async throws {
        let wait = latency.distribution(for: endpoint).sample(using: &ticket.random)
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    /// Carries out a connection fault (timeout or reset) on `context`'s connection, then throws.
    func dropConnection(_ kind: FaultKind, context: FakeRequestContext) async throws -> Never {
        if kind == .timeout {
            try await Task.sleep(for: faults.timeoutHold)
        }
        await HTTPSupport.resetConnection(context.channel)
        throw ConnectionDropped()
    }
}
