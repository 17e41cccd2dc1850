import Foundation

extension APIConfiguration {
    /// The configuration that `environment` describes (see the type's summary for the names), with
    /// the key file, when one is named, read and merged into `apiKeys`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(APIConfigurationError) -> APIConfiguration {
        var configuration = APIConfiguration()
        func integer(_ name: String) throws(APIConfigurationError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw APIConfigurationError("\(name) must be a whole number")
            }
            return value
        }
        if let host = environment["API_HOST"], !host.isEmpty { configuration.host = host }
        if let port = try integer("API_PORT") { configuration.port = port }
        if let keys = environment["API_KEYS"], !keys.isEmpty {
            configuration.apiKeys = try parseKeys(keys.split(separator: ",").map(String.init), source: "API_KEYS")
        }
        if let path = environment["API_KEYS_FILE"], !path.isEmpty { configuration.apiKeysFile = path }
        if let value = try integer("API_RATE_LIMIT_PER_MINUTE") { configuration.rateLimit.requestsPerMinute = value }
        if let value = try integer("API_RATE_LIMIT_BURST") { configuration.rateLimit.burst = value }
        if let value = try integer("API_MAX_BODY_BYTES") { configuration.limits.maxBodyBytes = value }
        if let value = try integer("API_MAX_QUERY_LENGTH") { configuration.limits.maxQueryLength = value }
        if let value = try integer("API_LONG_POLL_MAX_SECONDS") { configuration.limits.longPollMaximum = .seconds(value) }
        if let secret = environment["WEBHOOK_SECRET"] { configuration.webhooks.signingSecret = secret }
        if let hosts = environment["WEBHOOK_ALLOWED_HOSTS"] {
            configuration.webhooks.allowedHosts = hosts.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .filter { !$0.isEmpty }
        }
        if let value = try integer("WEBHOOK_MAX_ATTEMPTS") { configuration.webhooks.maxAttempts = value }
        try configuration.loadKeyFile()
        try configuration.validate()
        return configuration
    }

    /// Reads `apiKeysFile`, when set, and adds its keys to `apiKeys`.
    public mutating func loadKeyFile() throws(APIConfigurationError) {
        guard let path = apiKeysFile else { return }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIConfigurationError("cannot read the API key file \(path)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for (key, tenant) in try Self.parseKeys(lines, source: path) { apiKeys[key] = tenant }
    }

    /// Parses `key:tenant` or `key tenant` entries; the error never repeats a key.
    static func parseKeys(_ entries: [String], source: String) throws(APIConfigurationError) -> [String: String] {
        var keys: [String: String] = [:]
        for (index, entry) in entries.enumerated() {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let separator = trimmed.firstIndex(where: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard let separator else { throw APIConfigurationError("entry \(index + 1) of \(source) lacks a tenant (key:tenant)") }
            let key = String(trimmed[..<separator])
            let tenant = trimmed[trimmed.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !tenant.isEmpty else {
                throw APIConfigurationError("entry \(index + 1) of \(source) needs both a key and a tenant")
            }
            keys[key] = tenant
        }
        return keys
    }
}
