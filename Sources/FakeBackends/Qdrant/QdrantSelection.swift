/// Which parts of a point an answer carries: `with_payload` and `with_vector` selectors.
struct QdrantSelection {
    private enum PayloadChoice {
        case none, all
        case include([[String]])
        case exclude([[String]])
    }

    private enum VectorChoice {
        case none, all
        case names([String])
    }

    private var payload: PayloadChoice
    private var vector: VectorChoice

    /// Parses `with_payload` and `with_vector` (alias `with_vectors`) from a request body.
    init(body: JSONValue, payloadByDefault: Bool) throws(QdrantError) {
        switch body["with_payload"] {
        case nil, .null?: payload = payloadByDefault ? .all : .none
        case .bool(let flag)?: payload = flag ? .all : .none
        case .array(let keys)?: payload = .include(try Self.paths(keys))
        case let selector? where selector.objectValue != nil:
            if let keys = selector["include"]?.arrayValue {
                payload = .include(try Self.paths(keys))
            } else if let keys = selector["exclude"]?.arrayValue {
                payload = .exclude(try Self.paths(keys))
            } else {
                throw .format("data did not match any variant of untagged enum WithPayloadInterface at line 1 column 1")
            }
        default: throw .format("data did not match any variant of untagged enum WithPayloadInterface at line 1 column 1")
        }
        switch body["with_vector"] ?? body["with_vectors"] {
        case nil, .null?: vector = .none
        case .bool(let flag)?: vector = flag ? .all : .none
        case .array(let names)?: vector = .names(names.compactMap(\.stringValue))
        default: throw .format("data did not match any variant of untagged enum WithVector at line 1 column 1")
        }
    }

    private static func paths(_ keys: [JSONValue]) throws(QdrantError) -> [[String]] {
        var result = [[String]]()
        for key in keys {
            guard let text = key.stringValue else { throw .format("invalid type: \(key.kindName), expected a string at line 1 column 1") }
            result.append(QdrantFilter.path(text))
        }
        return result
    }

    /// The point as a Record (`id`, `payload`, `vector`); ScoredPoints add `version` and `score`.
    func record(_ point: QdrantCollection.Point, in collection: QdrantCollection, extra: [(String, JSONValue)] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", point.id.json)] + extra
        switch payload {
        case .none: break
        case .all: members.append(("payload", point.payload))
        case .include(let paths): members.append(("payload", Self.include(paths, from: point.payload)))
        case .exclude(let paths): members.append(("payload", Self.exclude(paths, from: point.payload)))
        }
        switch vector {
        case .none: break
        case .all: members.append(("vector", Self.vectors(point, names: nil, collection: collection)))
        case .names(let names): members.append(("vector", Self.vectors(point, names: names, collection: collection)))
        }
        return .obj(members)
    }

    private static func vectors(_ point: QdrantCollection.Point, names: [String]?, collection: QdrantCollection) -> JSONValue {
        if collection.isSingleUnnamed, names == nil || names == [""] {
            return point.vectors[""].map { .floats($0) } ?? .null
        }
        let chosen = point.vectors.keys.sorted().filter { names?.contains($0) ?? true }
        return .object(chosen.compactMap { name in point.vectors[name].map { JSONMember(name, .floats($0)) } })
    }

    private static func include(_ paths: [[String]], from payload: JSONValue) -> JSONValue {
        guard let members = payload.objectValue else { return payload }
        var kept = [JSONMember]()
        for member in members {
            let matching = paths.filter { $0.first == member.key }
            if matching.isEmpty { continue }
            if matching.contains(where: { $0.count == 1 }) {
                kept.append(member)
            } else {
                let inner = include(matching.map { Array($0.dropFirst()) }, from: member.value)
                kept.append(JSONMember(member.key, inner))
            }
        }
        return .object(kept)
    }

    private static func exclude(_ paths: [[String]], from payload: JSONValue) -> JSONValue {
        guard let members = payload.objectValue else { return payload }
        var kept = [JSONMember]()
        for member in members {
            let matching = paths.filter { $0.first == member.key }
            if matching.contains(where: { $0.count == 1 }) { continue }
            if matching.isEmpty {
                kept.append(member)
            } else {
                kept.append(JSONMember(member.key, exclude(matching.map { Array($0.dropFirst()) }, from: member.value)))
            }
        }
        return .object(kept)
    }
}
