import Foundation
import RAGQueue

extension APIConfiguration {
    /// Reads `apiKeysFile`, when set: its keys join `apiKeys`, its tenant settings `tenants`.
    ///
    /// One key per line: `<key> <tenant> [weight=W] [concurrency=N] [budget=AMOUNT<usd|tokens>/<day|month>]`
    /// (or `<key>:<tenant> ...`), or an operator's key: `<key> - role=admin`; blank lines and lines
    /// starting with `#` are skipped.
    public mutating func loadKeyFile() throws(APIConfigurationError) {
        guard let path = apiKeysFile else { return }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIConfigurationError("cannot read the API key file \(path)")
        }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line.trimmingWhitespace)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let source = "\(path) line \(number + 1)"
            var fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if let colon = fields[0].firstIndex(of: ":") {
                let first = fields.removeFirst()
                fields.insert(contentsOf: [String(first[..<colon]), String(first[first.index(after: colon)...])], at: 0)
            }
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw APIConfigurationError("\(source) needs both a key and a tenant")
            }
            if fields.dropFirst(2).contains(where: { $0.hasPrefix("role=") }) {
                guard fields.count == 3, fields[1] == "-", fields[2] == "role=admin" else {
                    throw APIConfigurationError("\(source): an operator's key reads `<key> - role=admin` (role=admin is the only role, with no tenant or settings)")
                }
                try addAdminKey(fields[0], source: source)
                continue
            }
            try addKey(fields[0], tenant: fields[1], source: source)
            for setting in fields.dropFirst(2) {
                let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw APIConfigurationError("\(source): \"\(setting)\" is not name=value") }
                try apply(parts[0], parts[1], tenant: fields[1], source: source)
            }
        }
    }

    /// Applies one tenant setting (`weight`, `concurrency`, `budget`) from `source`.
    mutating func apply(_ name: String, _ value: String, tenant: String, source: String) throws(APIConfigurationError) {
        switch name {
        case "weight":
            guard let weight = Double(value), weight > 0, weight.isFinite, weight <= 1000 else {
                throw APIConfigurationError("\(source): weight of tenant \(tenant) must be a number above 0 (at most 1000), got \"\(value)\"")
            }
            tenants[tenant, default: TenantSettings()].weight = weight
        case "concurrency":
            guard let limit = Int(value), limit >= 1 else {
                throw APIConfigurationError("\(source): concurrency of tenant \(tenant) must be a whole number of at least 1, got \"\(value)\"")
            }
            tenants[tenant, default: TenantSettings()].maxRunning = limit
        case "budget":
            tenants[tenant, default: TenantSettings()].budget = try TenantBudget(parsing: value, source: "\(source): budget of tenant \(tenant)")
        case "collections":
            let names = value.split(separator: "|", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace) }
            for name in names where name != "*" {
                do throws(QueryValidationError) {
                    try CollectionName.check(name)
                } catch {
                    throw APIConfigurationError("\(source): collections of tenant \(tenant): \(error.message)")
                }
            }
            guard !names.isEmpty else { throw APIConfigurationError("\(source): collections of tenant \(tenant) must name at least one") }
            tenants[tenant, default: TenantSettings()].collections = Set(names)
        case "cache":
            guard value == "on" || value == "off" else { throw APIConfigurationError("\(source): cache of tenant \(tenant) must be on or off, got \"\(value)\"") }
            tenants[tenant, default: TenantSettings()].answerCache = value == "on"
        default:
            throw APIConfigurationError("\(source): unknown setting \"\(name)\" (weight, concurrency, budget, collections or cache)")
        }
    }

    /// Adds `key` for `tenant`, listed at `source`. A key listed a second time (for the same tenant
    /// or another: the last would silently win, exposing one tenant's jobs to another) is refused;
    /// the error names both places, never the key. (`validate()` refuses short keys, naming `source`.)
    mutating func addKey(_ key: String, tenant: String, source: String) throws(APIConfigurationError) {
        if apiKeys[key] != nil || adminKeys.contains(key) {
            let first = keySources[key] ?? "an earlier entry"
            throw APIConfigurationError("\(source) lists a key already listed in \(first): each key belongs to one tenant, once")
        }
        apiKeys[key] = tenant
        keySources[key] = source
    }

    /// Adds an operator's `key` (`APIConfiguration.adminKeys`), listed at `source`; a key listed
    /// before, for a tenant or an operator, is refused.
    mutating func addAdminKey(_ key: String, source: String) throws(APIConfigurationError) {
        if apiKeys[key] != nil || adminKeys.contains(key) {
            let first = keySources[key] ?? "an earlier entry"
            throw APIConfigurationError("\(source) lists a key already listed in \(first): each key belongs to one tenant or operator, once")
        }
        adminKeys.insert(key)
        keySources[key] = source
    }

    /// Adds the `key:tenant` entries of `API_KEYS` (`source`); the error never repeats a key.
    mutating func addKeys(_ entries: [String], source: String) throws(APIConfigurationError) {
        for (index, entry) in entries.enumerated() {
            let trimmed = String(entry.trimmingWhitespace)
            guard !trimmed.isEmpty else { continue }
            let separator = trimmed.firstIndex(where: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard let separator else { throw APIConfigurationError("entry \(index + 1) of \(source) lacks a tenant (key:tenant)") }
            let key = String(trimmed[..<separator])
            let tenant = String(trimmed[trimmed.index(after: separator)...].trimmingWhitespace)
            guard !key.isEmpty, !tenant.isEmpty else {
                throw APIConfigurationError("entry \(index + 1) of \(source) needs both a key and a tenant")
            }
            try addKey(key, tenant: tenant, source: "entry \(index + 1) of \(source)")
        }
    }

    /// Parses `tenant=value,...` (`API_TENANT_WEIGHTS` and its kin) into tenant settings; the
    /// error names `variable`.
    mutating func applyTenantList(_ text: String, setting: String, variable: String) throws(ConfigurationError) {
        for entry in Parse.list(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0.trimmingWhitespace) }
            guard parts.count == 2, !parts[0].isEmpty else { throw ConfigurationError(setting: variable, "entries are tenant=value, got \"\(entry)\"") }
            do throws(APIConfigurationError) {
                try apply(setting, parts[1], tenant: parts[0], source: variable)
            } catch {
                throw ConfigurationError(setting: variable, String(error.message.dropFirst(variable.count + 2)))
            }
        }
    }
}

/// A tenant's share of the workers and its spending limit.
public struct TenantSettings: Sendable, Hashable {
    /// Its weight against other tenants with work waiting; nil for 1.
    public var weight: Double?
    /// Most of its jobs running at once; nil for no limit.
    public var maxRunning: Int?
    /// Its budget; nil for none.
    public var budget: TenantBudget?
    /// The collections it may query, `*` for all; nil for the default walls (see `allows`).
    public var collections: Set<String>?
    /// False: the tenant's queries are neither answered from the answer cache nor cached; nil or true: they are when it is on.
    public var answerCache: Bool?

    /// No settings: weight 1, no limit, no budget, the default walls.
    public init(weight: Double? = nil, maxRunning: Int? = nil, budget: TenantBudget? = nil, collections: Set<String>? = nil) {
        self.weight = weight
        self.maxRunning = maxRunning
        self.budget = budget
        self.collections = collections
    }

    /// Whether `tenant` may query `collection`. With a list (`collections=a|b`, `*` for any) only
    /// those; without one, the deployment's shared `defaultCollection` and the tenant's own
    /// collections, named `<tenant>-...` or `<tenant>_...`: another tenant's documents stay out of reach
    /// unless a list says otherwise.
    public func allows(_ collection: String, tenant: String, defaultCollection: String) -> Bool {
        if let collections { return collections.contains("*") || collections.contains(collection) }
        return collection == defaultCollection || collection.hasPrefix(tenant + "-") || collection.hasPrefix(tenant + "_")
    }

    /// The policy the queue schedules the tenant's jobs by.
    var policy: TenantPolicy { TenantPolicy(weight: weight ?? 1, maxRunning: maxRunning) }
}

/// How much a tenant may spend per period: dollars or tokens per UTC day or month.
public struct TenantBudget: Sendable, Hashable {
    /// What it counts.
    public var unit: BudgetReservation.Unit
    /// Its period.
    public var period: BudgetReservation.Period
    /// The limit, in `unit`s (millionths of a dollar, or tokens).
    public var limit: Int64

    /// A budget of `limit` `unit`s per `period`.
    public init(unit: BudgetReservation.Unit, period: BudgetReservation.Period, limit: Int64) {
        self.unit = unit
        self.period = period
        self.limit = limit
    }

    /// Parses `5usd/day`, `0.5usd/month`, `2000000tokens/month`; the error starts with `source`.
    init(parsing text: String, source: String) throws(APIConfigurationError) {
        let parts = text.lowercased().split(separator: "/").map(String.init)
        let malformed = APIConfigurationError("\(source) must be AMOUNT usd or tokens per day or month (5usd/day, 2000000tokens/month), got \"\(text)\"")
        guard parts.count == 2, let period = BudgetReservation.Period(rawValue: parts[1]) else { throw malformed }
        if parts[0].hasSuffix("usd"), let dollars = Double(parts[0].dropLast(3)), dollars.isFinite {
            guard dollars > 0, dollars < 1e9 else { throw APIConfigurationError("\(source) must be above 0, got \"\(text)\"") }
            self.init(unit: .microUSD, period: period, limit: Int64((dollars * 1_000_000).rounded()))
        } else if parts[0].hasSuffix("tokens"), let tokens = Int64(parts[0].dropLast(6)) {
            guard tokens > 0 else { throw APIConfigurationError("\(source) must be above 0, got \"\(text)\"") }
            self.init(unit: .tokens, period: period, limit: tokens)
        } else {
            throw malformed
        }
    }

    /// The limit as a person reads it: `5.00 USD per day`, `2000000 tokens per month`.
    public var description: String {
        switch unit {
        case .microUSD: String(format: "%.2f USD per %@", Double(limit) / 1_000_000, period.rawValue)
        case .tokens: "\(limit) tokens per \(period.rawValue)"
        }
    }
}
