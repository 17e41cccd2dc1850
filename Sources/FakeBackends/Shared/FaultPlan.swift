/// A fault a fake can inject in place of a normal answer.
public enum FaultKind: Sendable, Hashable, CustomStringConvertible {
    /// Answer with this HTTP status and the service's canonical error body (429, 500, 503, 400, ...).
    case status(Int)
    /// Hold the request without answering, then drop the connection (a client-side timeout).
    case timeout
    /// Reset the TCP connection (RST) without answering.
    case connectionReset

    /// 429 Too Many Requests.
    public static let tooManyRequests = FaultKind.status(429)
    /// 500 Internal Server Error.
    public static let internalServerError = FaultKind.status(500)
    /// 503 Service Unavailable.
    public static let serviceUnavailable = FaultKind.status(503)

    /// A short stable name: the status code, `timeout` or `reset`.
    public var description: String {
        switch self {
        case .status(let code): return String(code)
        case .timeout: return "timeout"
        case .connectionReset: return "reset"
        }
    }

    /// Parses the `X-Fake-Fault` header: a status code (400-599), `timeout` or `reset`.
    public init?(headerValue: String) {
        let text = headerValue.trimmingSpaces.lowercased()
        switch text {
        case "timeout": self = .timeout
        case "reset", "connection-reset": self = .connectionReset
        default:
            guard let code = Int(text), (400...599).contains(code) else { return nil }
            self = .status(code)
        }
    }
}

/// A server-side plan of injected faults: seeded probabilities per endpoint and "the first N fail".
public struct FaultPlan<Endpoint: Hashable & Sendable>: Sendable {
    /// What happens to the requests of one endpoint.
    public struct Rule: Sendable, Equatable {
        /// Probability (0...1) of a 429 answer. Default 0.
        public var tooManyRequests: Double
        /// Probability of a 500 answer. Default 0.
        public var internalServerError: Double
        /// Probability of a 503 answer. Default 0.
        public var serviceUnavailable: Double
        /// Probability of holding the request and then dropping the connection. Default 0.
        public var timeout: Double
        /// Probability of resetting the connection. Default 0.
        public var connectionReset: Double
        /// The first this many requests to the endpoint fail with `failFirstKind`. Default 0.
        public var failFirst: Int
        /// The fault of the first `failFirst` requests. Default 503.
        public var failFirstKind: FaultKind

        /// A rule; every probability defaults to 0.
        public init(
            tooManyRequests: Double = 0,
            internalServerError: Double = 0,
            serviceUnavailable: Double = 0,
            timeout: Double = 0,
            connectionReset: Double = 0,
            failFirst: Int = 0,
            failFirstKind: FaultKind = .serviceUnavailable
        ) {
            self.tooManyRequests = tooManyRequests
            self.internalServerError = internalServerError
            self.serviceUnavailable = serviceUnavailable
            self.timeout = timeout
            self.connectionReset = connectionReset
            self.failFirst = failFirst
            self.failFirstKind = failFirstKind
        }

        /// The fault for request number `sequence` (0-based), drawing once from `random`.
        func fault(sequence: Int, random: inout SeededRandom) -> FaultKind? {
            if sequence < failFirst { return failFirstKind }
            let draw = random.nextUnit()
            var edge = 0.0
            let choices: [(Double, FaultKind)] = [
                (tooManyRequests, .tooManyRequests), (internalServerError, .internalServerError),
                (serviceUnavailable, .serviceUnavailable), (timeout, .timeout), (connectionReset, .connectionReset),
            ]
            for (probability, kind) in choices where probability > 0 {
                edge += probability
                if draw < edge { return kind }
            }
            return nil
        }
    }

    /// The rule of every endpoint without an override. Default: no faults.
    public var `default`: Rule
    /// Overrides by endpoint. Default: none.
    public var perEndpoint: [Endpoint: Rule]
    /// The delay advertised by injected 429/503 answers (Retry-After). Default 1 s.
    public var retryAfter: Duration
    /// How long a `timeout` fault holds the request before dropping it. Default 30 s.
    public var timeoutHold: Duration

    /// A plan; by default nothing fails.
    public init(
        default: Rule = Rule(),
        perEndpoint: [Endpoint: Rule] = [:],
        retryAfter: Duration = .seconds(1),
        timeoutHold: Duration = .seconds(30)
    ) {
        self.default = `default`
        self.perEndpoint = perEndpoint
        self.retryAfter = retryAfter
        self.timeoutHold = timeoutHold
    }

    /// The rule that applies to `endpoint`.
    public func rule(for endpoint: Endpoint) -> Rule {
        perEndpoint[endpoint] ?? self.default
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
