/// How the HTTP API behaves. Wiring (address, keys) apart from behaviour (limits, webhooks).
///
/// Loaded from the environment by `init(environment:)` (`API_HOST`, `API_PORT`, `API_KEYS`, ...,
/// listed in `environmentVariables`); what a query may ask is the pipeline's `QueryRules`, shared
/// with the workers, not a setting of the API.
public struct APIConfiguration: Sendable {
    /// Address to bind. Default `0.0.0.0`, as the seed.
    public var host: String = "0.0.0.0"
    /// Port to bind; 0 picks a free one. Default 8000, as the seed.
    public var port: Int = 8000
    /// API keys and the tenant each belongs to. Empty (the default) means no authentication.
    /// Never logged.
    public var apiKeys: [String: String] = [:]
    /// Keys of the queue's operators (`API_ADMIN_KEYS`, or `role=admin` in the key file): they
    /// belong to no tenant, read and cancel any tenant's queries and see every tenant's figures,
    /// and submit nothing. Never logged.
    public var adminKeys: Set<String> = []
    /// Where each key of `apiKeys` was listed (`entry 2 of API_KEYS`, `keys.txt line 4`), for
    /// errors that must name it without showing the key.
    var keySources: [String: String] = [:]
    /// The shortest API key accepted.
    static let minimumKeyLength = 8
    /// A file of further API keys, read at start-up (`key tenant` per line). Default none.
    public var apiKeysFile: String?
    /// Per-key request rate limit, shared by every API process through Valkey.
    public var rateLimit = RateLimit()
    /// Request size and validation limits.
    public var limits = Limits()
    /// Result delivery to `callback_url`.
    public var webhooks = Webhooks()
    /// Each tenant's weight, concurrency limit and budget, by tenant name; a tenant not here has
    /// weight 1, no limit and no budget.
    public var tenants: [String: TenantSettings] = [:]

    /// A token bucket per API key: `requestsPerMinute` refill, `burst` capacity.
    public struct RateLimit: Sendable, Hashable {
        /// Sustained requests per minute per key; 0 disables the limit. Default 600.
        public var requestsPerMinute: Int = 600
        /// Requests a key may make at once after being idle. Default 60.
        public var burst: Int = 60
        /// Failed authentications (no key, or a wrong one) a client address may make per minute,
        /// and at once, before its requests are answered 429 for a while whatever key they carry;
        /// 0 disables the throttle. Default 10.
        public var authFailuresPerMinute: Int = 10

        /// The defaults.
        public init() {}

        /// Whether any limit applies.
        public var isEnabled: Bool { requestsPerMinute > 0 && burst > 0 }
    }

    /// Bounds on what a request may ask.
    public struct Limits: Sendable, Hashable {
        /// Largest request body, in bytes. Default 64 KiB.
        public var maxBodyBytes: Int = 64 * 1024
        /// How long a connection may sit without a complete request: a head or body that does not
        /// arrive in time (slowloris), or an idle keep-alive connection, is closed. Requests being
        /// answered (long-polls, event streams) are not cut. Default 30 s.
        public var idleTimeout: Duration = .seconds(30)
        /// Longest `?wait=` of a long poll. Default 30 s.
        public var longPollMaximum: Duration = .seconds(30)
        /// Longest life of one event stream before the server closes it. Default 10 min.
        public var eventStreamMaximum: Duration = .seconds(600)
        /// Event streams and long-polls one API key (or, without keys, one client address) may hold
        /// open at once in one API process; more are answered 429. Default 100.
        public var maxOpenWaitsPerCaller: Int = 100
        /// Connections one API process holds open at once; beyond, new connections wait in the
        /// kernel's accept queue until one closes. Bounds the process's sockets and memory whatever
        /// the callers do (each open event stream is a connection). Default 16,384.
        public var maxConnections: Int = 16_384
        /// How long a request waits for an unreachable Valkey before it is answered 503 with
        /// `Retry-After` (a connection attempt included). Default 0.5 s.
        public var valkeyWait: Duration = .milliseconds(500)
        /// Longest `Idempotency-Key`, in characters. Default 255.
        public var maxIdempotencyKeyLength: Int = 255

        /// The defaults.
        public init() {}
    }

    /// Signed POSTs of results to the caller's `callback_url`.
    public struct Webhooks: Sendable, Hashable {
        /// HMAC-SHA256 key of the `RAGQueue-Signature` header. Default empty: deliveries are unsigned.
        /// Never logged.
        public var signingSecret: String = ""
        /// Hosts a callback URL may name (exact, or `.example.com` for subdomains); `*` allows any.
        /// Default empty: callbacks are refused.
        public var allowedHosts: [String] = []
        /// Delivery attempts before giving up. Default 5.
        public var maxAttempts: Int = 5
        /// Pause before the first retry; doubled each time. Default 1 s.
        public var initialBackoff: Duration = .seconds(1)
        /// Longest pause between retries. Default 60 s.
        public var maximumBackoff: Duration = .seconds(60)
        /// Deadline of one delivery attempt. Default 10 s.
        public var timeout: Duration = .seconds(10)

        /// The defaults.
        public init() {}
    }

    /// Defaults throughout.
    public init() {}

    /// Checks ranges; the message names the setting.
    public func validate() throws(APIConfigurationError) {
        guard (0...65535).contains(port) else { throw .init("API port \(port) is out of range") }
        guard rateLimit.requestsPerMinute >= 0, rateLimit.burst >= 0, rateLimit.authFailuresPerMinute >= 0 else {
            throw .init("rate limit settings must not be negative")
        }
        guard limits.maxBodyBytes >= 1024 else { throw .init("max body bytes must be at least 1024") }
        guard limits.longPollMaximum >= .seconds(1) else { throw .init("long-poll maximum must be at least 1 s") }
        guard (1...20).contains(webhooks.maxAttempts) else { throw .init("webhook attempts must be 1-20") }
        for (key, tenant) in apiKeys {
            let source = keySources[key].map { "\($0): " } ?? ""
            guard key.count >= Self.minimumKeyLength else { throw .init("\(source)API keys must be at least \(Self.minimumKeyLength) characters") }
            guard !tenant.isEmpty else { throw .init("\(source)every API key needs a tenant") }
        }
        for key in adminKeys where key.count < Self.minimumKeyLength {
            throw .init("\(keySources[key].map { "\($0): " } ?? "")admin keys must be at least \(Self.minimumKeyLength) characters")
        }
        let known = Set(apiKeys.values)
        for tenant in tenants.keys.sorted() where !known.contains(tenant) {
            throw .init("tenant settings name \"\(tenant)\", which no API key belongs to (check API_TENANT_WEIGHTS, API_TENANT_CONCURRENCY, API_TENANT_BUDGETS and the key file)")
        }
    }
}
