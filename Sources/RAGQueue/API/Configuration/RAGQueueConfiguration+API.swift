import Foundation

extension RAGQueueConfiguration {
    /// The HTTP API's variables (`ragserve api`), listed with the others in `environmentVariables`.
    static var apiVariables: [EnvironmentVariable] {
        [
            .init("API_HOST", "0.0.0.0", "address the HTTP API binds") { $0.api.host = $1 },
            .init("API_PORT", "8000", "port the HTTP API binds (0 picks a free one)") {
                $0.api.port = try Parse.integer($1, "API_PORT", in: 0...65535)
            },
            .init("API_KEYS", "(none)", "API keys and their tenants, key:tenant,...; none means no authentication", secret: true) {
                do throws(APIConfigurationError) {
                    $0.api.apiKeys = try APIConfiguration.parseKeys($1.split(separator: ",").map(String.init), source: "API_KEYS")
                } catch {
                    throw ConfigurationError(setting: "API_KEYS", error.message)
                }
            },
            .init("API_KEYS_FILE", "(none)", "file of further API keys, one 'key tenant' per line") { $0.api.apiKeysFile = $1 },
            .init("API_RATE_LIMIT_PER_MINUTE", "600", "requests per minute per API key, shared by all API processes (0 = no limit)") {
                $0.api.rateLimit.requestsPerMinute = try Parse.integer($1, "API_RATE_LIMIT_PER_MINUTE", in: 0...1_000_000)
            },
            .init("API_RATE_LIMIT_BURST", "60", "requests an API key may make at once") {
                $0.api.rateLimit.burst = try Parse.integer($1, "API_RATE_LIMIT_BURST", in: 0...1_000_000)
            },
            .init("API_MAX_BODY_BYTES", "65536", "largest request body") {
                $0.api.limits.maxBodyBytes = try Parse.integer($1, "API_MAX_BODY_BYTES", in: 1024...16_777_216)
            },
            .init("API_MAX_QUERY_LENGTH", "4000", "longest question, in characters") {
                $0.api.limits.maxQueryLength = try Parse.integer($1, "API_MAX_QUERY_LENGTH", in: 1...1_000_000)
            },
            .init("API_LONG_POLL_MAX_SECONDS", "30", "longest ?wait= of GET /v1/queries/{id}") {
                $0.api.limits.longPollMaximum = try Parse.duration($1, "API_LONG_POLL_MAX_SECONDS", in: 1...300)
            },
            .init("WEBHOOK_SECRET", "(none)", "HMAC-SHA256 key of the RAGQueue-Signature header", secret: true) {
                $0.api.webhooks.signingSecret = $1
            },
            .init("WEBHOOK_ALLOWED_HOSTS", "(none)", "hosts callback URLs may name, comma separated (.example.com, *)") {
                $0.api.webhooks.allowedHosts = $1.split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                    .filter { !$0.isEmpty }
            },
            .init("WEBHOOK_MAX_ATTEMPTS", "5", "webhook delivery attempts") {
                $0.api.webhooks.maxAttempts = try Parse.integer($1, "WEBHOOK_MAX_ATTEMPTS", in: 1...20)
            },
        ]
    }
}
