/// A Qdrant filter: `must`, `should` and `must_not` lists of conditions, evaluated on one point.
struct QdrantFilter: Sendable {
    /// One condition of a filter.
    indirect enum Condition: Sendable {
        case filter(QdrantFilter)
        case matchValue(path: [String], value: JSONValue)
        case matchAny(path: [String], values: [JSONValue])
        case matchExcept(path: [String], values: [JSONValue])
        case matchText(path: [String], text: String)
        case range(path: [String], gt: Double?, gte: Double?, lt: Double?, lte: Double?)
        case valuesCount(path: [String], gt: Double?, gte: Double?, lt: Double?, lte: Double?)
        case hasID(Set<PointID>)
        case isEmpty(path: [String])
        case isNull(path: [String])
        case nested(path: [String], filter: QdrantFilter)
    }

    var must: [Condition] = []
    var should: [Condition] = []
    var mustNot: [Condition] = []

    /// Parses a filter object; null or absent gives nil. Throws Qdrant's 400 format errors.
    static func parse(_ json: JSONValue?) throws(QdrantError) -> QdrantFilter? {
        guard let json, !json.isNull else { return nil }
        guard json.objectValue != nil else { throw .format("invalid type: \(json.kindName), expected struct Filter at line 1 column 1") }
        var filter = QdrantFilter()
        filter.must = try conditions(json["must"])
        filter.should = try conditions(json["should"])
        filter.mustNot = try conditions(json["must_not"])
        return filter
    }

    private static func conditions(_ json: JSONValue?) throws(QdrantError) -> [Condition] {
        guard let json, !json.isNull else { return [] }
        if let items = json.arrayValue {
            var result = [Condition]()
            for item in items { result.append(try condition(item)) }
            return result
        }
        return [try condition(json)]
    }

    private static let untagged = QdrantError.format("data did not match any variant of untagged enum Condition at line 1 column 1")

    private static func condition(_ json: JSONValue) throws(QdrantError) -> Condition {
        guard json.objectValue != nil else { throw untagged }
        if let ids = json["has_id"] {
            guard let list = ids.arrayValue else { throw untagged }
            var set = Set<PointID>()
            for item in list {
                guard let id = PointID(json: item) else { throw .invalidPointID(item) }
                set.insert(id)
            }
            return .hasID(set)
        }
        if let empty = json["is_empty"] {
            guard let key = empty["key"]?.stringValue else { throw untagged }
            return .isEmpty(path: path(key))
        }
        if let null = json["is_null"] {
            guard let key = null["key"]?.stringValue else { throw untagged }
            return .isNull(path: path(key))
        }
        if let nested = json["nested"] {
            guard let key = nested["key"]?.stringValue, let inner = try parse(nested["filter"]) else { throw untagged }
            return .nested(path: path(key), filter: inner)
        }
        if let key = json["key"]?.stringValue {
            let keyPath = path(key)
            if let match = json["match"] {
                if let value = match["value"] {
                    switch value {
                    case .string, .int, .bool: return .matchValue(path: keyPath, value: value)
                    default: throw untagged
                    }
                }
                if let values = match["any"]?.arrayValue { return .matchAny(path: keyPath, values: values) }
                if let values = match["except"]?.arrayValue { return .matchExcept(path: keyPath, values: values) }
                if let text = match["text"]?.stringValue ?? match["phrase"]?.stringValue { return .matchText(path: keyPath, text: text) }
                throw untagged
            }
            if let range = json["range"] {
                return .range(
                    path: keyPath, gt: try bound(range, "gt"), gte: try bound(range, "gte"), lt: try bound(range, "lt"),
                    lte: try bound(range, "lte"))
            }
            if let count = json["values_count"] {
                return .valuesCount(
                    path: keyPath, gt: try bound(count, "gt"), gte: try bound(count, "gte"), lt: try bound(count, "lt"),
                    lte: try bound(count, "lte"))
            }
            throw untagged
        }
        if json.has("must") || json.has("should") || json.has("must_not") {
            return .filter(try parse(json) ?? QdrantFilter())
        }
        throw untagged
    }

    private static func bound(_ json: JSONValue, _ name: String) throws(QdrantError) -> Double? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let number = value.doubleValue else { throw .format("invalid type: \(value.kindName), expected f64 at line 1 column 1") }
        return number
    }

    /// A dotted key as path components (`metadata.page` → `["metadata", "page"]`).
    static func path(_ key: String) -> [String] {
        key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The values at `path`; arrays along the way (and at the end) are flattened, so a condition
    /// holds when any element satisfies it. `a[].b` and `a.b` mean the same here.
    static func values(at path: [String], in value: JSONValue) -> [JSONValue] {
        guard let first = path.first else {
            if case .array(let items) = value { return items }
            return [value]
        }
        switch value {
        case .object:
            let key = first.hasSuffix("[]") ? String(first.dropLast(2)) : first
            guard let member = value[key] else { return [] }
            return values(at: Array(path.dropFirst()), in: member)
        case .array(let items):
            return items.flatMap { values(at: path, in: $0) }
        default:
            return []
        }
    }

    /// Whether `point` passes the filter.
    func matches(_ point: QdrantCollection.Point) -> Bool {
        matches(id: point.id, payload: point.payload)
    }

    private func matches(id: PointID?, payload: JSONValue) -> Bool {
        for condition in must where !Self.holds(condition, id: id, payload: payload) { return false }
        for condition in mustNot where Self.holds(condition, id: id, payload: payload) { return false }
        if !should.isEmpty, !should.contains(where: { Self.holds($0, id: id, payload: payload) }) { return false }
        return true
    }

    private static func holds(_ condition: Condition, id: PointID?, payload: JSONValue) -> Bool {
        switch condition {
        case .filter(let inner):
            return inner.matches(id: id, payload: payload)
        case .matchValue(let path, let expected):
            return values(at: path, in: payload).contains(expected)
        case .matchAny(let path, let options):
            return values(at: path, in: payload).contains { options.contains($0) }
        case .matchExcept(let path, let excluded):
            let found = values(at: path, in: payload)
            return found.isEmpty || found.contains { !excluded.contains($0) }
        case .matchText(let path, let text):
            return values(at: path, in: payload).contains { $0.stringValue?.contains(text) ?? false }
        case .range(let path, let gt, let gte, let lt, let lte):
            return values(at: path, in: payload).contains { value in
                guard let number = value.doubleValue else { return false }
                return inRange(number, gt: gt, gte: gte, lt: lt, lte: lte)
            }
        case .valuesCount(let path, let gt, let gte, let lt, let lte):
            let count = Double(values(at: path, in: payload).filter { !$0.isNull }.count)
            return inRange(count, gt: gt, gte: gte, lt: lt, lte: lte)
        case .hasID(let ids):
            return id.map { ids.contains($0) } ?? false
        case .isEmpty(let path):
            return values(at: path, in: payload).allSatisfy(\.isNull)
        case .isNull(let path):
            return nullAt(path, in: payload)
        case .nested(let path, let inner):
            return values(at: path, in: payload).contains { inner.matches(id: nil, payload: $0) }
        }
    }

    /// Whether the key exists and holds null (an absent key is not null).
    private static func nullAt(_ path: [String], in payload: JSONValue) -> Bool {
        guard let last = path.last else { return false }
        let parents = path.count > 1 ? values(at: Array(path.dropLast()), in: payload) : [payload]
        return parents.contains { parent in parent[last].map { $0.isNull } ?? false }
    }

    private static func inRange(_ number: Double, gt: Double?, gte: Double?, lt: Double?, lte: Double?) -> Bool {
        if let gt, !(number > gt) { return false }
        if let gte, !(number >= gte) { return false }
        if let lt, !(number < lt) { return false }
        if let lte, !(number <= lte) { return false }
        return true
    }
}
