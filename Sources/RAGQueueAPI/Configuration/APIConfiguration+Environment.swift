import RAGQueue

extension APIConfiguration {
    /// Every variable `init(environment:)` reads, in the order the README's table lists them.
    public static var environmentVariables: [EnvironmentVariable<APIConfiguration>] {
        let defaults = APIConfiguration()
        return [
            .init("API_HOST", defaults.host, "address the HTTP API binds") { $0.host = $1 },
            .init("API_PORT", "\(defaults.port)", "port the HTTP API binds (0 picks a free one)") {
                $0.port = try Parse.integer($1, "API_PORT", in: 0...65535)
            },
            .init("API_KEYS", "(none)", "API keys and their tenants, key:tenant,...; none means no authentication", secret: true) {
                do throws(APIConfigurationError) {
                    try $0.addKeys($1.split(separator: ",").map(String.init), source: "API_KEYS")
                } catch {
                    throw ConfigurationError(setting: "API_KEYS", error.message)
                }
            },
            .init("API_ADMIN_KEYS", "(none)", "operators' keys, key,...: no tenant; they read and cancel any tenant's queries, see every tenant's figures and submit nothing", secret: true) {
                do throws(APIConfigurationError) {
                    for (index, key) in Parse.list($1).enumerated() {
                        try $0.addAdminKey(key, source: "entry \(index + 1) of API_ADMIN_KEYS")
                    }
                } catch {
                    throw ConfigurationError(setting: "API_ADMIN_KEYS", error.message)
                }
            },
            .init("API_KEYS_FILE", "(none)", "file of further API keys, one 'key tenant' per line") { $0.apiKeysFile = $1 },
            .init("API_RATE_LIMIT_PER_MINUTE", "\(defaults.rateLimit.requestsPerMinute)", "requests per minute per API key, shared by all API processes (0 = no limit)") {
                $0.rateLimit.requestsPerMinute = try Parse.integer($1, "API_RATE_LIMIT_PER_MINUTE", in: 0...1_000_000)
            },
            .init("API_RATE_LIMIT_BURST", "\(defaults.rateLimit.burst)", "requests an API key may make at once") {
                $0.rateLimit.burst = try Parse.integer($1, "API_RATE_LIMIT_BURST", in: 0...1_000_000)
            },
            .init("API_AUTH_FAILURES_PER_MINUTE", "\(defaults.rateLimit.authFailuresPerMinute)", "failed authentications per client address per minute (and at once) before 429 (0 = no limit)") {
                $0.rateLimit.authFailuresPerMinute = try Parse.integer($1, "API_AUTH_FAILURES_PER_MINUTE", in: 0...1_000_000)
            },
            .init("API_IDLE_TIMEOUT_SECONDS", "\(Int(defaults.limits.idleTimeout.seconds))", "a connection without a complete request for this long (slow headers or body, idle keep-alive) is closed") {
                $0.limits.idleTimeout = try Parse.duration($1, "API_IDLE_TIMEOUT_SECONDS", in: 0.1...3600)
            },
            .init("API_MAX_CONNECTIONS", "\(defaults.limits.maxConnections)", "connections one API process holds open at once; beyond, new ones wait to be accepted until one closes") {
                $0.limits.maxConnections = try Parse.integer($1, "API_MAX_CONNECTIONS", in: 1...10_000_000)
            },
            .init("API_VALKEY_WAIT_SECONDS", "\(defaults.limits.valkeyWait.seconds)", "how long a request waits for an unreachable Valkey before its 503 with Retry-After") {
                $0.limits.valkeyWait = try Parse.duration($1, "API_VALKEY_WAIT_SECONDS", in: 0.05...30)
            },
            .init("API_MAX_BODY_BYTES", "\(defaults.limits.maxBodyBytes)", "largest request body") {
                $0.limits.maxBodyBytes = try Parse.integer($1, "API_MAX_BODY_BYTES", in: 1024...16_777_216)
            },
            .init("API_LONG_POLL_MAX_SECONDS", "\(Int(defaults.limits.longPollMaximum.seconds))", "longest ?wait= of GET /v1/queries/{id}") {
                $0.limits.longPollMaximum = try Parse.duration($1, "API_LONG_POLL_MAX_SECONDS", in: 1...300)
            },
            .init("API_MAX_OPEN_WAITS_PER_KEY", "\(defaults.limits.maxOpenWaitsPerCaller)", "event streams and long-polls one key (or client address) holds open at once per API process; 429 beyond") {
                $0.limits.maxOpenWaitsPerCaller = try Parse.integer($1, "API_MAX_OPEN_WAITS_PER_KEY", in: 1...1_000_000)
            },
            .init("API_TENANT_WEIGHTS", "(1 each)", "tenants' shares of the workers, tenant=weight,... (also weight= in the key file)") {
                try $0.applyTenantList($1, setting: "weight", variable: "API_TENANT_WEIGHTS")
            },
            .init("API_TENANT_CONCURRENCY", "(no limit)", "most of a tenant's queries running at once, tenant=N,... (also concurrency=)") {
                try $0.applyTenantList($1, setting: "concurrency", variable: "API_TENANT_CONCURRENCY")
            },
            .init("API_TENANT_BUDGETS", "(none)", "tenant=AMOUNTusd/day or tokens/month,... checked at submit (also budget=)") {
                try $0.applyTenantList($1, setting: "budget", variable: "API_TENANT_BUDGETS")
            },
            .init("API_TENANT_ANSWER_CACHE", "(on)", "tenant=off,... tenants whose queries the answer cache neither answers nor stores (also cache=)") {
                try $0.applyTenantList($1, setting: "cache", variable: "API_TENANT_ANSWER_CACHE")
            },
            .init("API_TENANT_COLLECTIONS", "(own)", "tenant=a|b,... collections a tenant may query (* for all); else RAG_COLLECTION and <tenant>-*, <tenant>_* (also collections=)") {
                try $0.applyTenantList($1, setting: "collections", variable: "API_TENANT_COLLECTIONS")
            },
            .init("WEBHOOK_SECRET", "(none)", "HMAC-SHA256 key of the RAGQueue-Signature header", secret: true) {
                $0.webhooks.signingSecret = $1
            },
            .init("WEBHOOK_ALLOWED_HOSTS", "(none)", "hosts callback URLs may name, comma separated (.example.com, *)") {
                $0.webhooks.allowedHosts = Parse.list($1).map { $0.lowercased() }
            },
            .init("WEBHOOK_MAX_ATTEMPTS", "\(defaults.webhooks.maxAttempts)", "webhook delivery attempts") {
                $0.webhooks.maxAttempts = try Parse.integer($1, "WEBHOOK_MAX_ATTEMPTS", in: 1...20)
            },
        ]
    }

    /// The defaults overridden by `environment`, with the key file read, then validated.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        try Self.environmentVariables.apply(environment, to: &self)
        do throws(APIConfigurationError) {
            try loadKeyFile()
            try validate()
        } catch {
            throw ConfigurationError(setting: nil, error.message)
        }
    }
}
