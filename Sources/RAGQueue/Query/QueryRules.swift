/// What a deployment accepts in a query, and the defaults it fills in: one set of rules, read from
/// the environment once and used by the API, the CLI and the worker alike.
public struct QueryRules: Sendable, Hashable {
    /// Collection searched when a query names none. Default `learning_vectors` (the seed's).
    public var defaultCollection: String = "learning_vectors"
    /// Chunks put in the prompt when a query does not say. Default 4 (the seed's and langchain's `k`).
    public var defaultTopK: Int = 4
    /// Most chunks a query may ask for. Default 20.
    public var maxTopK: Int = 20
    /// Longest question, in characters. Default 4,000.
    public var maxQuestionLength: Int = 4_000
    /// Most filter conditions. Default 32.
    public var maxFilterConditions: Int = 32
    /// Most values in one list-valued filter condition. Default 64.
    public var maxFilterValues: Int = 64
    /// The priorities a query may ask for: the queue's (0...9, higher first among a tenant's jobs).
    public static let priorities = EnqueueRequest.priorities
    /// The priority of a query that names none: the queue's default, 5.
    public static let defaultPriority = EnqueueRequest.defaultPriority

    /// The defaults.
    public init() {}

    /// Checks the rules themselves; the message names what is wrong.
    public func check() throws(QueryValidationError) {
        try CollectionName.check(defaultCollection, field: "default collection")
        guard maxTopK >= 1 else { throw .invalid("maxTopK", "the largest top_k must be at least 1") }
        guard (1...maxTopK).contains(defaultTopK) else {
            throw .invalid("defaultTopK", "the default top_k must be from 1 to the largest (\(maxTopK)), got \(defaultTopK)")
        }
        guard maxQuestionLength >= 1 else { throw .invalid("maxQuestionLength", "the longest question must be at least 1 character") }
    }
}

/// The one rule for collection names, shared by queries, ingestion and the configuration: 1-255
/// visible ASCII characters without `/` (Qdrant puts names in URL paths).
public enum CollectionName {
    /// Throws, naming `field`, unless `name` follows the rule.
    public static func check(_ name: String, field: String = "collection") throws(QueryValidationError) {
        guard (1...255).contains(name.utf8.count), name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") }) else {
            throw .invalid(field, "\(field) must be 1-255 visible ASCII characters without '/', got \"\(name)\"")
        }
    }
}
