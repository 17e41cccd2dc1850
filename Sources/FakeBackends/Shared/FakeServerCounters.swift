import Synchronization

/// Live counts of what a fake server did, readable from tests and the simulator at any time.
public final class FakeServerCounters<Endpoint: Hashable & Sendable>: Sendable {
    /// A consistent copy of the counts at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Requests received, by endpoint (faulted and refused ones included).
        public var requests: [Endpoint: Int] = [:]
        /// Faults injected (plan or headers), by endpoint.
        public var faults: [Endpoint: Int] = [:]
        /// Faults injected, by kind.
        public var faultsByKind: [FaultKind: Int] = [:]
        /// Requests refused by the rate limiter (429), by endpoint.
        public var rateLimited: [Endpoint: Int] = [:]
        /// Requests answered with a 4xx because they were malformed or unauthorised, by endpoint.
        public var rejected: [Endpoint: Int] = [:]

        /// All requests received.
        public var totalRequests: Int { requests.values.reduce(0, +) }
        /// All faults injected.
        public var totalFaults: Int { faults.values.reduce(0, +) }

        /// Requests received by `endpoint`.
        public func requests(_ endpoint: Endpoint) -> Int { requests[endpoint] ?? 0 }
        /// Faults injected at `endpoint`.
        public func faults(_ endpoint: Endpoint) -> Int { faults[endpoint] ?? 0 }
    }

    private let state = Mutex(Snapshot())

    /// Empty counters.
    public init() {}

    /// A copy of the current counts.
    public func snapshot() -> Snapshot {
        state.withLock { $0 }
    }

    /// Counts a request and returns its 0-based sequence number at that endpoint.
    func recordRequest(_ endpoint: Endpoint) -> Int {
        state.withLock { state in
            let sequence = state.requests[endpoint, default: 0]
            state.requests[endpoint] = sequence + 1
            return sequence
        }
    }

    /// Counts an injected fault.
    func recordFault(_ endpoint: Endpoint, kind: FaultKind) {
        state.withLock { state in
            state.faults[endpoint, default: 0] += 1
            state.faultsByKind[kind, default: 0] += 1
        }
    }

    /// Counts a request refused by the rate limiter.
    func recordRateLimited(_ endpoint: Endpoint) {
        state.withLock { $0.rateLimited[endpoint, default: 0] += 1 }
    }

    /// Counts a request rejected as malformed or unauthorised.
    func recordRejected(_ endpoint: Endpoint) {
        state.withLock { $0.rejected[endpoint, default: 0] += 1 }
    }
}
