import Foundation

extension RAGQuery {
    /// The fields of the wire shape, in the order they are written.
    public static let fieldNames = ["query", "collection", "top_k", "filter", "stream", "priority", "callback_url", "cache"]

    /// Reads the wire shape from JSON text. Checks types and refuses unknown fields; ranges and
    /// defaults are `validated(by:)`'s.
    public init(json bytes: some Collection<UInt8>) throws(QueryValidationError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw .malformed("the body is not valid JSON")
        }
        try self.init(json: value)
    }

    /// Reads the wire shape from a parsed JSON value.
    public init(json value: JSONValue) throws(QueryValidationError) {
        guard case .object(let members) = value else { throw .invalid(nil, "the body must be a JSON object") }
        for name in members.keys.sorted() where !Self.fieldNames.contains(name) {
            var message = "unknown field `\(name)`"
            if let near = Self.fieldNames.first(where: { Self.editDistance($0, name) <= 2 }) { message += " (did you mean `\(near)`?)" }
            throw .invalid(name, message + "; fields are " + Self.fieldNames.joined(separator: ", "))
        }
        func field<T>(_ name: String, _ kind: String, _ read: (JSONValue) -> T?) throws(QueryValidationError) -> T? {
            guard let member = members[name], !member.isNull else { return nil }
            guard let value = read(member) else { throw .invalid(name, "\(name) must be \(kind)") }
            return value
        }
        guard let query = try field("query", "a string", \.stringValue) else {
            throw .invalid("query", members["query"] == nil ? "query is required" : "query must be a string")
        }
        self.init(
            query: query,
            collection: try field("collection", "a string", \.stringValue),
            topK: try field("top_k", "a whole number", \.intValue),
            filter: try field("filter", "an object of conditions", \.objectValue),
            stream: try field("stream", "true or false", \.boolValue) ?? false,
            callbackURL: try field("callback_url", "a string", \.stringValue),
            priority: try field("priority", "a whole number", \.intValue),
            cache: try field("cache", "true or false", \.boolValue)
        )
    }

    /// The query checked against `rules`, with its defaults filled in: the question trimmed, the
    /// collection and `top_k` set, filter values normalised. Throws naming the first bad field.
    public func validated(by rules: QueryRules) throws(QueryValidationError) -> RAGQuery {
        var query = self
        query.query = String(self.query.trimmingWhitespace)
        guard !query.query.isEmpty else { throw .invalid("query", "query must not be empty") }
        guard query.query.count <= rules.maxQuestionLength else {
            throw .invalid("query", "query must be at most \(rules.maxQuestionLength) characters")
        }
        let collection = self.collection ?? rules.defaultCollection
        try CollectionName.check(collection)
        query.collection = collection
        let topK = self.topK ?? rules.defaultTopK
        guard (1...rules.maxTopK).contains(topK) else { throw .invalid("top_k", "top_k must be between 1 and \(rules.maxTopK)") }
        query.topK = topK
        let priority = self.priority ?? QueryRules.defaultPriority
        guard QueryRules.priorities.contains(priority) else {
            throw .invalid("priority", "priority must be between \(QueryRules.priorities.lowerBound) and \(QueryRules.priorities.upperBound)")
        }
        query.priority = priority
        if let filter {
            query.filter = try Self.validFilter(filter, rules: rules)
        }
        if let callbackURL {
            try Self.checkCallbackURL(callbackURL)
        }
        return query
    }

    /// The wire shape as compact JSON with sorted keys; unset optional fields are left out.
    public var json: [UInt8] {
        Array(jsonValue.description.utf8)
    }

    /// The wire shape as a JSON value.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["query": .string(query), "stream": .bool(stream)]
        if let collection { object["collection"] = .string(collection) }
        if let topK { object["top_k"] = .integer(topK) }
        if let filter { object["filter"] = .object(filter) }
        if let callbackURL { object["callback_url"] = .string(callbackURL) }
        if let priority { object["priority"] = .integer(priority) }
        if let cache { object["cache"] = .bool(cache) }
        return .object(object)
    }

    /// Conditions with scalar values (strings, integers, Booleans; whole numbers become integers) or
    /// non-empty lists of them.
    private static func validFilter(_ filter: [String: JSONValue], rules: QueryRules) throws(QueryValidationError) -> [String: JSONValue]? {
        guard filter.count <= rules.maxFilterConditions else {
            throw .invalid("filter", "filter allows at most \(rules.maxFilterConditions) conditions")
        }
        guard !filter.isEmpty else { return nil }
        var valid: [String: JSONValue] = [:]
        for key in filter.keys.sorted() {
            guard let value = filter[key] else { continue }
            let field = "filter.\(key)"
            guard !key.isEmpty, key.utf8.count <= 256 else { throw .invalid("filter", "filter keys must be 1-256 characters") }
            let kind = "a string, an integer, a boolean or a list of those"
            if case .array(let values) = value {
                guard (1...rules.maxFilterValues).contains(values.count) else {
                    throw .invalid(field, "\(field) must list 1 to \(rules.maxFilterValues) values")
                }
                var scalars: [JSONValue] = []
                for element in values {
                    guard let scalar = scalar(element) else { throw .invalid(field, "\(field) must be \(kind)") }
                    scalars.append(scalar)
                }
                valid[key] = .array(scalars)
            } else {
                guard let scalar = scalar(value) else { throw .invalid(field, "\(field) must be \(kind)") }
                valid[key] = scalar
            }
        }
        return valid
    }

    private static func scalar(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .string, .integer, .bool: value
        case .number: value.intValue.map(JSONValue.integer)
        default: nil
        }
    }

    /// An absolute http(s) URL with a host and without credentials, at most 2,048 bytes. Which hosts
    /// may be named is the API's policy, checked on top of this.
    private static func checkCallbackURL(_ text: String) throws(QueryValidationError) {
        guard text.utf8.count <= 2048, let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
        else { throw .invalid("callback_url", "callback_url must be an absolute http(s) URL") }
        guard scheme == "http" || scheme == "https" else { throw .invalid("callback_url", "callback_url must use http or https") }
        guard components.user == nil, components.password == nil else {
            throw .invalid("callback_url", "callback_url must not carry credentials")
        }
    }

    /// Levenshtein distance, to suggest the field a typo meant.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
