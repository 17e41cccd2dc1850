/// The fake Qdrant's endpoint logic: each handler takes the parsed request and returns the
/// `result` of the envelope, or throws the Qdrant error to answer with.
struct QdrantHandlers {
    let store: QdrantStore
    let version: String

    /// `GET /`: not wrapped in the envelope.
    func versionInfo() -> JSONValue {
        .obj([
            ("title", "qdrant - vector search engine"), ("version", .string(version)),
            ("commit", .string(SHA256Hex.of("fake-qdrant " + version))),
        ])
    }

    /// Dispatches an envelope-wrapped endpoint.
    func handle(_ route: QdrantResponder.Route, body bytes: [UInt8], wait: Bool) throws(QdrantError) -> JSONValue {
        let name = route.collection
        switch route.endpoint {
        case .root: return versionInfo()
        case .health: return .bool(true)
        case .listCollections:
            return .obj([("collections", .array(store.names().map { .obj([("name", .string($0))]) }))])
        case .collectionExists:
            return .obj([("exists", .bool(store.exists(name)))])
        case .getCollection:
            return try store.collection(name).info
        case .createCollection:
            let body = try Self.parse(bytes, emptyIsObject: false)
            try store.create(try QdrantCollection(name: name, body: body))
            return true
        case .updateCollection:
            _ = try Self.parse(bytes, emptyIsObject: true)
            _ = try store.collection(name)
            return true
        case .deleteCollection:
            return .bool(store.delete(name))
        case .getPoint:
            let collection = try store.collection(name)
            guard let id = PointID(pathSegment: route.argument) else { throw .invalidPointID(.string(route.argument)) }
            guard let point = collection.points[id] else { throw QdrantError(status: 404, message: "Not found: No point with id \(id) found") }
            let selection = try QdrantSelection(body: .obj([("with_payload", true), ("with_vector", true)]), payloadByDefault: true)
            return selection.record(point, in: collection)
        default:
            let body = try Self.parse(bytes, emptyIsObject: false)
            return try handlePoints(route, body: body, wait: wait)
        }
    }

    /// Parses a JSON body into an object; an empty body is an error unless `emptyIsObject`.
    static func parse(_ bytes: [UInt8], emptyIsObject: Bool) throws(QdrantError) -> JSONValue {
        if bytes.isEmpty {
            if emptyIsObject { return .obj([]) }
            throw .format("EOF while parsing a value at line 1 column 0")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .format(error)
        }
        guard value.objectValue != nil else { throw .format("invalid type: \(value.kindName), expected a map at line 1 column 1") }
        return value
    }

    /// The update result of operation `id`.
    static func updateResult(_ id: UInt64, wait: Bool) -> JSONValue {
        .obj([("operation_id", .int(Int64(id))), ("status", .string(wait ? "completed" : "acknowledged"))])
    }

    /// A non-negative integer field, or the default; 422 below `minimum`.
    static func integer(_ body: JSONValue, _ name: String, default value: Int, minimum: Int) throws(QdrantError) -> Int {
        guard let json = body[name], !json.isNull else { return value }
        guard let number = json.intValue else { throw .format("invalid type: \(json.kindName), expected usize at line 1 column 1") }
        guard number >= 0 else { throw .format("invalid value: integer `\(number)`, expected usize at line 1 column 1") }
        guard number >= minimum else { throw .validation("\(name): value \(number) invalid, must be \(minimum) or larger") }
        return Int(min(number, Int64(Int32.max)))
    }

    /// A list of point ids; 400 for any that is not an id.
    static func pointIDs(_ json: JSONValue?, field: String) throws(QdrantError) -> [PointID] {
        guard let json else { throw .format("missing field `\(field)` at line 1 column 1") }
        guard let items = json.arrayValue else { throw .format("invalid type: \(json.kindName), expected a sequence at line 1 column 1") }
        var ids = [PointID]()
        for item in items {
            guard let id = PointID(json: item) else { throw .invalidPointID(item) }
            ids.append(id)
        }
        return ids
    }
}
