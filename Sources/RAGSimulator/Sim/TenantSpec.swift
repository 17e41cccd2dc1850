import Foundation
import RAGQueue

/// One tenant of a simulated traffic mix (`--tenant`): its own API key, weight, concurrency limit
/// and budget in the API, and its own arrivals.
///
/// `NAME[:weight=W][:qps=R][:burst=N][:priority=P][:concurrency=C][:budget=AMOUNTusd|tokens/day|month]`:
/// `qps` queries a second from the start (Poisson, or as `--arrivals` says), `burst` queries
/// submitted at once when traffic starts (a flood), `priority` on each of its queries.
public struct TenantSpec: Sendable, Hashable, Codable {
    /// The tenant's name, as the API knows it.
    public var name: String
    /// Its share of the workers. Default 1.
    public var weight: Double = 1
    /// Queries per second it offers; nil: an even share of `--qps`, or none when it floods.
    public var qps: Double?
    /// Queries it submits at once when traffic starts. Default 0.
    public var burst: Int = 0
    /// Priority of its queries; nil: the default.
    public var priority: Int?
    /// Most of its queries running at once; nil: no limit.
    public var concurrency: Int?
    /// Its budget as the API reads it (`5usd/day`); nil: none.
    public var budget: String?

    /// Parses a `--tenant` value; the error names what is wrong.
    public init(parsing text: String) throws(SimulationError) {
        let parts = text.split(separator: ":").map(String.init)
        guard let first = parts.first, !first.isEmpty, first.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw SimulationError("--tenant \(text): the name comes first, letters, digits, - and _ only")
        }
        name = first
        for setting in parts.dropFirst() {
            let pair = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw SimulationError("--tenant \(text): \"\(setting)\" is not name=value") }
            let value = pair[1]
            switch pair[0] {
            case "weight":
                guard let number = Double(value), number > 0, number <= 1000 else { throw SimulationError("--tenant \(text): weight must be above 0") }
                weight = number
            case "qps":
                guard let number = Double(value), number >= 0, number <= 10_000 else { throw SimulationError("--tenant \(text): qps must be 0 to 10000") }
                qps = number
            case "burst":
                guard let number = Int(value), (0...1_000_000).contains(number) else { throw SimulationError("--tenant \(text): burst must be 0 to 1000000") }
                burst = number
            case "priority":
                guard let number = Int(value), QueryRules.priorities.contains(number) else {
                    throw SimulationError("--tenant \(text): priority must be \(QueryRules.priorities.lowerBound) to \(QueryRules.priorities.upperBound)")
                }
                priority = number
            case "concurrency":
                guard let number = Int(value), number >= 1 else { throw SimulationError("--tenant \(text): concurrency must be at least 1") }
                concurrency = number
            case "budget":
                guard value.contains("/"), value.hasSuffix("/day") || value.hasSuffix("/month") else {
                    throw SimulationError("--tenant \(text): budget is AMOUNTusd or AMOUNTtokens per day or month (5usd/day)")
                }
                budget = value
            default:
                throw SimulationError("--tenant \(text): unknown setting \"\(pair[0])\" (weight, qps, burst, priority, concurrency, budget)")
            }
        }
    }

    /// The tenant's API key in the simulated API.
    var apiKey: String { "ragsim-key-\(name)" }

    /// The API's environment for `tenants`: their keys, weights, limits and budgets.
    static func environment(_ tenants: [TenantSpec]) -> [String: String] {
        guard !tenants.isEmpty else { return [:] }
        var environment = ["API_KEYS": tenants.map { "\($0.apiKey):\($0.name)" }.joined(separator: ",")]
        environment["API_TENANT_WEIGHTS"] = tenants.map { "\($0.name)=\($0.weight)" }.joined(separator: ",")
        let limits = tenants.compactMap { tenant in tenant.concurrency.map { "\(tenant.name)=\($0)" } }
        if !limits.isEmpty { environment["API_TENANT_CONCURRENCY"] = limits.joined(separator: ",") }
        let budgets = tenants.compactMap { tenant in tenant.budget.map { "\(tenant.name)=\($0)" } }
        if !budgets.isEmpty { environment["API_TENANT_BUDGETS"] = budgets.joined(separator: ",") }
        return environment
    }
}
