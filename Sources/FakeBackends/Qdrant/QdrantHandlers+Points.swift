extension QdrantHandlers {
    /// The point endpoints, which all take a JSON object body.
    func handlePoints(_ route: QdrantResponder.Route, body: JSONValue, wait: Bool) throws(QdrantError) -> JSONValue {
        let name = route.collection
        switch route.endpoint {
        case .upsertPoints: return try upsert(name, body: body, wait: wait)
        case .retrievePoints: return try retrieve(name, body: body)
        case .queryPoints: return try query(name, body: body)
        case .searchPoints: return try search(name, body: body)
        case .scrollPoints: return try scroll(name, body: body)
        case .countPoints:
            let collection = try store.collection(name)
            let filter = try QdrantFilter.parse(body["filter"])
            let count = collection.points.values.filter { filter?.matches($0) ?? true }.count
            return .obj([("count", .int(Int64(count)))])
        case .deletePoints:
            return try deletePoints(name, body: body, wait: wait)
        case .createIndex:
            guard let field = body["field_name"]?.stringValue else { throw .format("missing field `field_name` at line 1 column 1") }
            let schema = body["field_schema"]
            let type = schema?.stringValue ?? schema?["type"]?.stringValue ?? "keyword"
            let operation = try store.update(name) { collection throws(QdrantError) in collection.createIndex(field: field, type: type) }
            return Self.updateResult(operation, wait: wait)
        case .deleteIndex:
            let operation = try store.update(name) { collection throws(QdrantError) in collection.deleteIndex(field: route.argument) }
            return Self.updateResult(operation, wait: wait)
        default:
            throw QdrantError(status: 404, message: "Not found: unknown endpoint")
        }
    }

    private func upsert(_ name: String, body: JSONValue, wait: Bool) throws(QdrantError) -> JSONValue {
        let collection = try store.collection(name)
        var points = [QdrantCollection.Point]()
        if let list = body["points"] {
            guard let items = list.arrayValue else { throw .format("invalid type: \(list.kindName), expected a sequence at line 1 column 1") }
            for item in items {
                guard item.objectValue != nil else { throw .format("invalid type: \(item.kindName), expected struct PointStruct at line 1 column 1") }
                guard let idValue = item["id"] else { throw .format("missing field `id` at line 1 column 1") }
                guard let id = PointID(json: idValue) else { throw .invalidPointID(idValue) }
                guard let vector = item["vector"] else { throw .format("missing field `vector` at line 1 column 1") }
                points.append(try makePoint(id: id, vector: vector, payload: item["payload"], in: collection))
            }
        } else if let batch = body["batch"] {
            let ids = try Self.pointIDs(batch["ids"], field: "ids")
            let payloads = batch["payloads"]?.arrayValue
            guard let vectors = batch["vectors"] else { throw .format("missing field `vectors` at line 1 column 1") }
            for (index, id) in ids.enumerated() {
                let vector: JSONValue
                if let rows = vectors.arrayValue {
                    guard index < rows.count else { throw .wrongInput("number of ids and vectors must be equal") }
                    vector = rows[index]
                } else if let named = vectors.objectValue {
                    var members = [JSONMember]()
                    for member in named {
                        guard let rows = member.value.arrayValue, index < rows.count else {
                            throw .wrongInput("number of ids and vectors must be equal")
                        }
                        members.append(JSONMember(member.key, rows[index]))
                    }
                    vector = .object(members)
                } else {
                    throw .format("invalid type: \(vectors.kindName), expected a sequence at line 1 column 1")
                }
                let payload = payloads.flatMap { index < $0.count ? $0[index] : nil }
                points.append(try makePoint(id: id, vector: vector, payload: payload, in: collection))
            }
        } else {
            throw .format("data did not match any variant of untagged enum PointInsertOperations at line 1 column 1")
        }
        let operation = try store.update(name) { collection throws(QdrantError) in collection.upsert(points) }
        return Self.updateResult(operation, wait: wait)
    }

    private func makePoint(id: PointID, vector: JSONValue, payload: JSONValue?, in collection: QdrantCollection) throws(QdrantError)
        -> QdrantCollection.Point
    {
        var vectors = [String: [Float]]()
        if let values = vector.floatArray {
            vectors[try collection.vectorName(nil)] = try collection.prepared(values, for: "")
        } else if let named = vector.objectValue {
            for member in named {
                guard let values = member.value.floatArray else {
                    throw .wrongInput("Conversion between sparse and regular vectors failed (the fake stores dense vectors only)")
                }
                let vectorName = try collection.vectorName(member.key)
                vectors[vectorName] = try collection.prepared(values, for: vectorName)
            }
        } else {
            throw .format("data did not match any variant of untagged enum VectorStruct at line 1 column 1")
        }
        let storedPayload: JSONValue
        switch payload {
        case nil, .null?: storedPayload = .obj([])
        case let object? where object.objectValue != nil: storedPayload = object
        case let other?: throw .format("invalid type: \(other.kindName), expected a map at line 1 column 1")
        }
        return QdrantCollection.Point(id: id, vectors: vectors, payload: storedPayload, version: 0)
    }

    private func retrieve(_ name: String, body: JSONValue) throws(QdrantError) -> JSONValue {
        let collection = try store.collection(name)
        let ids = try Self.pointIDs(body["ids"], field: "ids")
        let selection = try QdrantSelection(body: body, payloadByDefault: true)
        var seen = Set<PointID>()
        var records = [JSONValue]()
        for id in ids where seen.insert(id).inserted {
            if let point = collection.points[id] { records.append(selection.record(point, in: collection)) }
        }
        return .array(records)
    }

    private func scroll(_ name: String, body: JSONValue) throws(QdrantError) -> JSONValue {
        let collection = try store.collection(name)
        if let order = body["order_by"], !order.isNull { throw .wrongInput("order_by is not supported by the fake") }
        let filter = try QdrantFilter.parse(body["filter"])
        let limit = try Self.integer(body, "limit", default: 10, minimum: 1)
        var start: PointID?
        if let offset = body["offset"], !offset.isNull {
            guard let id = PointID(json: offset) else { throw .invalidPointID(offset) }
            start = id
        }
        let selection = try QdrantSelection(body: body, payloadByDefault: true)
        let matching = collection.sortedPoints.filter { point in
            (start.map { point.id >= $0 } ?? true) && (filter?.matches(point) ?? true)
        }
        let page = matching.prefix(limit).map { selection.record($0, in: collection) }
        let next: JSONValue = matching.count > limit ? matching[limit].id.json : .null
        return .obj([("points", .array(Array(page))), ("next_page_offset", next)])
    }

    private func deletePoints(_ name: String, body: JSONValue, wait: Bool) throws(QdrantError) -> JSONValue {
        let collection = try store.collection(name)
        var ids: [PointID]
        if let list = body["points"] {
            ids = try Self.pointIDs(list, field: "points")
        } else if let filterJSON = body["filter"] {
            let filter = try QdrantFilter.parse(filterJSON)
            ids = collection.points.values.filter { filter?.matches($0) ?? true }.map(\.id)
        } else {
            throw .format("data did not match any variant of untagged enum PointsSelector at line 1 column 1")
        }
        ids.sort()
        let operation = try store.update(name) { collection throws(QdrantError) in collection.delete(ids) }
        return Self.updateResult(operation, wait: wait)
    }
}
