import Foundation

/// A tenant's spending limit over a calendar period, kept by the queue: amounts are reserved when
/// a job is enqueued and settled when it ends, so what a tenant may still spend counts what runs.
public struct BudgetReservation: Sendable, Hashable {
    /// What a budget counts: a usage counter of `JobUsage`.
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        /// Millionths of a US dollar (`JobUsage.costMicroUSD`).
        case microUSD = "cost_micro_usd"
        /// Model tokens, embeddings and chat together (`JobUsage.tokens`).
        case tokens
    }

    /// The calendar period a budget covers, in UTC.
    public enum Period: String, Sendable, Hashable, CaseIterable {
        /// From midnight to midnight, UTC.
        case day
        /// From the first of the month, UTC.
        case month

        /// The period's name for the instant `milliseconds` (`d20261130`, `m202611`).
        public func id(at milliseconds: Int64) -> String {
            let parts = Self.calendar.dateComponents([.year, .month, .day], from: Date(epochMilliseconds: milliseconds))
            let year = parts.year ?? 1970, month = parts.month ?? 1, day = parts.day ?? 1
            switch self {
            case .day: return String(format: "d%04d%02d%02d", year, month, day)
            case .month: return String(format: "m%04d%02d", year, month)
            }
        }

        /// Milliseconds from `milliseconds` until the period that holds it ends.
        public func remaining(at milliseconds: Int64) -> Int64 {
            let date = Date(epochMilliseconds: milliseconds)
            let component: Calendar.Component = self == .day ? .day : .month
            guard let start = Self.calendar.dateInterval(of: component, for: date)?.end else { return 86_400_000 }
            return max(1, start.epochMilliseconds - milliseconds)
        }

        private static let calendar: Calendar = {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
            return calendar
        }()
    }

    /// What the budget counts.
    public var unit: Unit
    /// Its period.
    public var period: Period
    /// The most the tenant may spend in one period, in `unit`s.
    public var limit: Int64
    /// What this job reserves until it ends, in `unit`s: an estimate of what it will spend.
    public var amount: Int64

    /// A reservation of `amount` against a budget of `limit` per `period`.
    public init(unit: Unit, period: Period, limit: Int64, amount: Int64) {
        self.unit = unit
        self.period = period
        self.limit = limit
        self.amount = amount
    }
}

/// What one attempt of a job used: named counters, added to the job's record and its tenant's
/// ledger. The queue does not know what they mean, except the two budgets count.
public struct JobUsage: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// Tokens sent to the embeddings model.
    public static let embeddingTokens = "embedding_tokens"
    /// Prompt tokens of the chat model.
    public static let promptTokens = "prompt_tokens"
    /// Tokens the chat model wrote.
    public static let completionTokens = "completion_tokens"
    /// All model tokens together: what a token budget counts.
    public static let tokens = BudgetReservation.Unit.tokens.rawValue
    /// Calls to the vector store.
    public static let vectorSearches = "vector_searches"
    /// The cost in millionths of a US dollar: what a dollar budget counts.
    public static let costMicroUSD = BudgetReservation.Unit.microUSD.rawValue
    /// Queries answered from the answer cache at submit (a tenant's ledger only).
    public static let cacheHits = "cache_hits"
    /// Queries that followed the same question in flight and finished with its answer (a tenant's
    /// ledger only).
    public static let coalesced = "coalesced"
    /// What the model calls those queries did not make would have cost, in millionths of a US
    /// dollar: the cost of the answer they reused (a tenant's ledger only).
    public static let savedMicroUSD = "saved_micro_usd"

    /// The counters, by name.
    public var counters: [String: Int64]

    /// Usage from its counters.
    public init(_ counters: [String: Int64] = [:]) {
        self.counters = counters.filter { $0.value != 0 }
    }

    public init(dictionaryLiteral elements: (String, Int64)...) {
        self.init(Dictionary(elements, uniquingKeysWith: +))
    }

    /// The counter named `name`, 0 when absent.
    public subscript(name: String) -> Int64 {
        counters[name] ?? 0
    }

    /// Both usages added counter by counter.
    public static func + (lhs: JobUsage, rhs: JobUsage) -> JobUsage {
        JobUsage(lhs.counters.merging(rhs.counters, uniquingKeysWith: +))
    }

    /// The counters as a JSON object, sorted by name.
    var json: String {
        JSONValue.object(counters.mapValues { .integer(Int($0)) }).description
    }
}
