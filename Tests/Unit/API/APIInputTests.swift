import Foundation
import Hummingbird
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// The error mapping, callback URL policy and configuration loading (the body itself is the query
/// contract's, tested in `QueryContractTests` and through the router in `APIHandlerTests`).
@Suite("API input and errors")
struct APIInputTests {
    let policy = CallbackURLPolicy(allowedHosts: ["hooks.example.com", ".internal.example"])

    @Test("Callback hosts: exact names and subdomains of a dotted entry")
    func callbackHosts() {
        #expect(policy.isAllowed(host: "hooks.example.com"))
        #expect(policy.isAllowed(host: "a.internal.example"))
        #expect(!policy.isAllowed(host: "internal.example"))
        #expect(!policy.isAllowed(host: "hooks.example.com.evil.org"))
        #expect(CallbackURLPolicy(allowedHosts: ["*"]).isAllowed(host: "anything"))
        #expect(!CallbackURLPolicy(allowedHosts: []).isAllowed(host: "localhost"))
    }

    @Test("Queue and Valkey errors map to statuses in one place")
    func errorMapping() {
        #expect(APIError.from(QueueError.queueFull(depth: 3)).status == .serviceUnavailable)
        #expect(APIError.from(QueueError.queueFull(depth: 3)).retryAfterSeconds != nil)
        #expect(APIError.from(QueueError.notFound(JobID())).status == .notFound)
        #expect(APIError.from(QueueError.alreadyEnded(JobID(), "finished")).status == .conflict)
        #expect(APIError.from(QueueError.backendUnavailable("down")).status == .serviceUnavailable)
        let unconfirmedJob = JobID()
        let unconfirmed = APIError.from(QueueError.durabilityUnconfirmed(unconfirmedJob, "no replica acknowledged it within 500 ms"))
        #expect(unconfirmed.status == .serviceUnavailable && unconfirmed.codeName == "durability_unconfirmed")
        #expect(unconfirmed.retryAfterSeconds == 1)
        #expect(unconfirmed.message.contains("/v1/queries/\(unconfirmedJob)"), "the client learns which job to read")
        #expect(APIError.from(QueryValidationError.malformed("not JSON")).status == .badRequest)
        #expect(APIError.from(QueryValidationError.invalid("top_k", "top_k must be between 1 and 20")).status == .unprocessableContent)
        #expect(APIError.from(HTTPError(.contentTooLarge)).status == .contentTooLarge)
        #expect(APIError.from(HTTPError(.notFound)).codeName == "not_found")
        #expect(APIError.from(CancellationError()).status == .internalServerError)
        #expect(APIError.from(CancellationError()).message == "internal error")
    }

    @Test("API settings come from the environment")
    func environment() throws {
        let configuration = try APIConfiguration(environment: [
            "API_PORT": "9001", "API_KEYS": "env-key-12345678:tenant-e,other-key-1234:tenant-o",
            "API_RATE_LIMIT_PER_MINUTE": "30", "WEBHOOK_ALLOWED_HOSTS": "Hooks.Example.com, .corp",
        ])
        #expect(configuration.port == 9001)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.apiKeys == ["env-key-12345678": "tenant-e", "other-key-1234": "tenant-o"])
        #expect(configuration.rateLimit.requestsPerMinute == 30)
        #expect(configuration.webhooks.allowedHosts == ["hooks.example.com", ".corp"])
        #expect(throws: ConfigurationError.self) { try APIConfiguration(environment: ["API_PORT": "eighty"]) }
        #expect(throws: ConfigurationError.self) { try APIConfiguration(environment: ["API_KEYS": "no-tenant-given"]) }
        let names = APIConfiguration.environmentVariables.map(\.name)
        #expect(names.contains("API_KEYS") && names.contains("WEBHOOK_SECRET"))
        #expect(APIConfiguration.environmentVariables.filter(\.isSecret).map(\.name).contains("API_KEYS"))
        let everything = names + RAGQueueConfiguration.environmentVariables.map(\.name)
        #expect(Set(everything).count == everything.count, "no variable is read by two configurations")
    }

    @Test("tenant settings come from the environment and the key file; bad ones are refused, naming the source")
    func tenantSettings() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "file-key-12345678 paid weight=3 concurrency=4 budget=2.5usd/day\nother-key-1234567 free\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try APIConfiguration(environment: [
            "API_KEYS_FILE": path, "API_TENANT_BUDGETS": "free=100000tokens/month", "API_TENANT_WEIGHTS": "free=0.5",
        ])
        #expect(configuration.tenants["paid"] == TenantSettings(weight: 3, maxRunning: 4, budget: TenantBudget(unit: .microUSD, period: .day, limit: 2_500_000)))
        #expect(configuration.tenants["free"] == TenantSettings(weight: 0.5, budget: TenantBudget(unit: .tokens, period: .month, limit: 100_000)))
        for (variable, value, named) in [
            ("API_TENANT_WEIGHTS", "ghost=2", "ghost"), ("API_TENANT_WEIGHTS", "free=0", "API_TENANT_WEIGHTS"),
            ("API_TENANT_CONCURRENCY", "free=-1", "API_TENANT_CONCURRENCY"), ("API_TENANT_BUDGETS", "free=-5usd/day", "API_TENANT_BUDGETS"),
            ("API_TENANT_BUDGETS", "free=5eur/day", "API_TENANT_BUDGETS"), ("API_TENANT_BUDGETS", "free=5usd/week", "API_TENANT_BUDGETS"),
        ] {
            #expect {
                try APIConfiguration(environment: ["API_KEYS_FILE": path, variable: value])
            } throws: { error in
                "\(error)".contains(named)
            }
        }
        let badLine = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "key-one-12345678 t weight=heavy\n".write(toFile: badLine, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: badLine) }
        #expect { try APIConfiguration(environment: ["API_KEYS_FILE": badLine]) } throws: { "\($0)".contains("line 1") }
    }

    @Test("A key file adds keys; short keys are refused")
    func keyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "# keys\nfile-key-12345678 tenant-f\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = APIConfiguration()
        configuration.apiKeysFile = path
        try configuration.loadKeyFile()
        #expect(configuration.apiKeys == ["file-key-12345678": "tenant-f"])
        configuration.apiKeys["short"] = "t"
        #expect(throws: APIConfigurationError.self) { try configuration.validate() }
    }

    @Test("Operators' keys come from API_ADMIN_KEYS and the key file (role=admin); one listed as a tenant's too, or too short, is refused")
    func operatorKeys() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "tenant-key-123456 acme\nfile-ops-key-1234 - role=admin\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try APIConfiguration(environment: ["API_ADMIN_KEYS": "ops-key-12345678, ops-key-87654321", "API_KEYS_FILE": path])
        #expect(configuration.adminKeys == ["ops-key-12345678", "ops-key-87654321", "file-ops-key-1234"])
        #expect(configuration.apiKeys == ["tenant-key-123456": "acme"])
        let refused: [[String: String]] = [
            ["API_KEYS": "same-key-12345678:acme", "API_ADMIN_KEYS": "same-key-12345678"],
            ["API_ADMIN_KEYS": "short"],
        ]
        for environment in refused {
            #expect(throws: (any Error).self) { try APIConfiguration(environment: environment) }
        }
        try "ops-key-12345678 acme role=admin\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try APIConfiguration(environment: ["API_KEYS_FILE": path])
        } throws: { error in "\(error)".contains("line 1: an operator's key reads `<key> - role=admin`") }
    }

    @Test("A key listed twice, for one tenant or two, or too short, refuses to start, naming where, never the key")
    func conflictingKeys() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "# keys\nalpha-key-123456 alpha\nshared-key-123456 beta\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cases: [([String: String], [String])] = [
            // Two tenants in API_KEYS: the last would have won, and alpha's jobs been beta's.
            (["API_KEYS": "shared-key-123456:alpha,shared-key-123456:beta"], ["entry 2 of API_KEYS", "entry 1 of API_KEYS"]),
            (["API_KEYS": "alpha-key-123456:alpha,alpha-key-123456:alpha"], ["entry 2 of API_KEYS", "entry 1 of API_KEYS"]),
            // In API_KEYS and in the file.
            (["API_KEYS": "shared-key-123456:alpha", "API_KEYS_FILE": path], ["\(path) line 3", "entry 1 of API_KEYS"]),
            (["API_KEYS": "beta-key-1234567:beta,short:alpha"], ["entry 2 of API_KEYS", "at least 8 characters"]),
        ]
        for (environment, named) in cases {
            #expect {
                try APIConfiguration(environment: environment)
            } throws: { error in
                let message = "\(error)"
                return named.allSatisfy(message.contains) && !message.contains("-key-123456") && !message.contains("short:")
            }
        }
        // Several keys for one tenant (rotation) are fine.
        let rotated = try APIConfiguration(environment: ["API_KEYS": "old-key-12345678:alpha,new-key-12345678:alpha"])
        #expect(rotated.apiKeys == ["old-key-12345678": "alpha", "new-key-12345678": "alpha"])
    }

    @Test("Collection walls: a list from the environment or the key file, or the shared collection and the tenant's own")
    func collectionWalls() throws {
        let configuration = try APIConfiguration(environment: [
            "API_KEYS": "alpha-key-123456:alpha,beta-key-1234567:beta,gamma-key-123456:gamma",
            "API_TENANT_COLLECTIONS": "beta=shared-docs|beta-docs,gamma=*",
        ])
        let alpha = configuration.tenants["alpha"] ?? TenantSettings()
        let beta = try #require(configuration.tenants["beta"])
        let gamma = try #require(configuration.tenants["gamma"])
        #expect(alpha.allows("learning_vectors", tenant: "alpha", defaultCollection: "learning_vectors"))
        #expect(alpha.allows("alpha-manuals", tenant: "alpha", defaultCollection: "learning_vectors"))
        #expect(!alpha.allows("alphabet", tenant: "alpha", defaultCollection: "learning_vectors"))
        #expect(!alpha.allows("beta-docs", tenant: "alpha", defaultCollection: "learning_vectors"))
        #expect(beta.allows("shared-docs", tenant: "beta", defaultCollection: "learning_vectors"))
        #expect(!beta.allows("learning_vectors", tenant: "beta", defaultCollection: "learning_vectors"))
        #expect(!beta.allows("beta-other", tenant: "beta", defaultCollection: "learning_vectors"), "a list replaces the default walls")
        #expect(gamma.allows("anything", tenant: "gamma", defaultCollection: "learning_vectors"))

        for bad in ["beta=a/b", "beta=", "beta=ok|"] {
            #expect {
                try APIConfiguration(environment: ["API_KEYS": "beta-key-1234567:beta", "API_TENANT_COLLECTIONS": bad])
            } throws: { "\($0)".contains("API_TENANT_COLLECTIONS") }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "beta-key-1234567 beta collections=beta-docs|shared\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try APIConfiguration(environment: ["API_KEYS_FILE": path])
        #expect(fromFile.tenants["beta"]?.collections == ["beta-docs", "shared"])
    }

    @Test("Last-Event-ID takes only stream entry ids", arguments: [
        ("1732900000000-0", true), ("0-0", true), ("18446744073709551615-18446744073709551615", true),
        ("", false), ("5", false), ("-1-0", false), ("+5-0", false), ("5-", false), ("1-2-3", false),
        ("18446744073709551616-0", false), ("١-٢", false), ("$", false), ("5-0 ", false),
    ])
    func lastEventIDs(text: String, accepted: Bool) {
        #expect((TokenEntry.cursor(text) != nil) == accepted, "\(text)")
    }
}

/// The README's configuration table is the one people read: it must list every variable the two
/// configurations read, with the default the code uses.
@Suite("README configuration table")
struct ReadmeConfigurationTableTests {
    @Test("every variable is in the README's table with its default")
    func everyVariable() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let variables = RAGQueueConfiguration.environmentVariables.map { ($0.name, $0.defaultValue) }
            + APIConfiguration.environmentVariables.map { ($0.name, $0.defaultValue) }
        for (name, defaultValue) in variables {
            // Values in backticks; words such as "(none)" as they are.
            let shown = defaultValue.hasPrefix("(") ? defaultValue : "`\(defaultValue)`"
            #expect(text.contains("| `\(name)` | \(shown) |"), "README lacks \(name) with default \(shown)")
        }
    }
}
