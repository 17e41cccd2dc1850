extension QdrantHandlers {
    /// `POST points/query`: nearest (wrapped or bare vector, or a point id), or no query at all.
    func query(_ name: String, body: JSONValue) throws(QdrantError) -> JSONValue {
        let collection = try store.collection(name)
        if let prefetch = body["prefetch"], !prefetch.isNull, prefetch.arrayValue?.isEmpty != true {
            throw .wrongInput("prefetch is not supported by the fake")
        }
        let using = try collection.vectorName(try Self.optionalString(body, "using"))
        var search = try Self.searchBasics(body, defaultLimit: 10, using: using)
        switch body["query"] {
        case nil, .null?:
            break
        case let query?:
            let target = query["nearest"] ?? query
            if let vector = target.floatArray {
                search.vector = try collection.prepared(vector, for: using)
            } else if let id = PointID(json: target) {
                guard let point = collection.points[id], let vector = point.vectors[using] else {
                    throw QdrantError(status: 404, message: "Not found: No point with id \(id) found")
                }
                search.vector = vector
                search.excluding = id
            } else if target.objectValue != nil {
                let kind = target.objectValue?.first?.key ?? "query"
                throw .wrongInput("query type `\(kind)` is not supported by the fake")
            } else {
                throw .format("data did not match any variant of untagged enum QueryInterface at line 1 column 1")
            }
        }
        let selection = try QdrantSelection(body: body, payloadByDefault: false)
        let hits = collection.search(search)
        return .obj([("points", .array(hits.map { scored($0, selection: selection, in: collection) }))])
    }

    /// `POST points/search` (legacy): `vector` is a list or `{"name","vector"}`; `limit` is required.
    func search(_ name: String, body: JSONValue) throws(QdrantError) -> JSONValue {
        let collection = try store.collection(name)
        guard let vectorJSON = body["vector"] else { throw .format("missing field `vector` at line 1 column 1") }
        guard body["limit"] != nil else { throw .format("missing field `limit` at line 1 column 1") }
        let using: String
        let values: [Float]
        if let list = vectorJSON.floatArray {
            using = try collection.vectorName(nil)
            values = list
        } else if let vectorName = vectorJSON["name"]?.stringValue, let list = vectorJSON["vector"]?.floatArray {
            using = try collection.vectorName(vectorName)
            values = list
        } else {
            throw .format("data did not match any variant of untagged enum NamedVectorStruct at line 1 column 1")
        }
        var search = try Self.searchBasics(body, defaultLimit: 10, using: using)
        search.vector = try collection.prepared(values, for: using)
        let selection = try QdrantSelection(body: body, payloadByDefault: false)
        return .array(collection.search(search).map { scored($0, selection: selection, in: collection) })
    }

    private func scored(_ hit: QdrantCollection.Hit, selection: QdrantSelection, in collection: QdrantCollection) -> JSONValue {
        selection.record(
            hit.point, in: collection,
            // The score goes out as the float32 it is: Float's shortest text, read back as a double.
            extra: [("version", .int(Int64(hit.point.version))), ("score", .double(Double(hit.score.description) ?? 0))])
    }

    private static func searchBasics(_ body: JSONValue, defaultLimit: Int, using: String) throws(QdrantError) -> QdrantCollection.Search {
        var threshold: Float?
        if let value = body["score_threshold"], !value.isNull {
            guard let number = value.doubleValue else { throw .format("invalid type: \(value.kindName), expected f32 at line 1 column 1") }
            threshold = Float(number)
        }
        return QdrantCollection.Search(
            vector: nil,
            using: using,
            filter: try QdrantFilter.parse(body["filter"]),
            limit: try integer(body, "limit", default: defaultLimit, minimum: 1),
            offset: try integer(body, "offset", default: 0, minimum: 0),
            scoreThreshold: threshold,
            excluding: nil
        )
    }

    private static func optionalString(_ body: JSONValue, _ name: String) throws(QdrantError) -> String? {
        guard let value = body[name], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw .format("invalid type: \(value.kindName), expected a string at line 1 column 1") }
        return text
    }
}
