#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Qdrant's request bodies, written straight to JSON bytes with sorted keys. A query's vector
/// (1,536 floats) took a third of a worker's CPU through `JSONEncoder`; written here it is one
/// pass of `Float.description` (the shortest text that reads back as the same float).
struct QdrantBody {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Text that is JSON already: punctuation, keys, literals.
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Any JSON value (filters, payloads, ids), through `JSONValue`'s writer.
    mutating func value(_ value: JSONValue) {
        value.write(to: &bytes)
    }

    /// A finite float as its shortest round-tripping text (`Float.description`'s digits, written
    /// through `TextOutputStreamable` without a `String` per float: 40 % less time a vector).
    mutating func float(_ value: Float) {
        value.write(to: &self)
    }

    /// A whole number.
    mutating func integer(_ value: some BinaryInteger) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// `[f,f,...]`; a NaN or an infinity is refused (JSON has none), as Qdrant would.
    mutating func floats(_ values: [Float]) throws(BackendError) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            guard value.isFinite else {
                throw BackendError(.badRequest, backend: QdrantVectorStore.backend, message: "could not encode the request: vector element \(index) is \(value)")
            }
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            float(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A vector: the bare list, or `{"<name>":[...]}` for a named vector.
    mutating func vector(_ values: [Float], name: String?) throws(BackendError) {
        guard let name else { return try floats(values) }
        raw("{")
        value(.string(name))
        raw(":")
        try floats(values)
        raw("}")
    }

    var data: Data { Data(bytes) }
}

extension QdrantBody: TextOutputStream {
    mutating func write(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    /// The standard library's numbers write their ASCII digits here, with no `String` between.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }
}

extension QdrantVectorStore {
    /// `/collections/<name>` with the name percent-encoded.
    static func collectionPath(_ name: String) -> String {
        "/collections/" + Self.percentEncoded(name)
    }

    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    static func createCollectionBody(dimension: Int, distance: VectorDistance, vectorName: String?) -> JSONValue {
        let params: JSONValue = ["size": .integer(dimension), "distance": .string(distance.rawValue)]
        if let vectorName {
            return ["vectors": .object([vectorName: params])]
        }
        return ["vectors": params]
    }

    /// The body of `PUT /collections/{name}/points`: `{"points":[{"id":…,"payload":…,"vector":…}]}`.
    static func upsertBody(_ points: [VectorPoint], vectorName: String?) throws(BackendError) -> Data {
        var body = QdrantBody(capacity: points.reduce(64) { $0 + $1.vector.count * 12 + 512 })
        body.raw("{\"points\":[")
        for (index, point) in points.enumerated() {
            body.raw(index == 0 ? "{\"id\":" : ",{\"id\":")
            switch point.id {
            case .integer(let number): body.integer(number)
            case .uuid(let text): body.value(.string(text))
            }
            body.raw(",\"payload\":")
            body.value(.object(point.payload))
            body.raw(",\"vector\":")
            try body.vector(point.vector, name: vectorName)
            body.raw("}")
        }
        body.raw("]}")
        return body.data
    }

    /// The body of `POST /collections/{name}/points/query`: the vector, limit, payload, filter and threshold.
    static func queryBody(_ query: VectorQuery, vectorName: String?) throws(BackendError) -> Data {
        var body = QdrantBody(capacity: query.vector.count * 12 + 256)
        body.raw("{")
        if let filter = query.filter {
            body.raw("\"filter\":")
            body.value(Self.filterValue(filter))
            body.raw(",")
        }
        body.raw("\"limit\":")
        body.integer(query.limit)
        body.raw(",\"query\":")
        try body.floats(query.vector)
        if let threshold = query.scoreThreshold {
            guard threshold.isFinite else {
                throw BackendError(.badRequest, backend: Self.backend, message: "could not encode the request: score threshold is \(threshold)")
            }
            body.raw(",\"score_threshold\":")
            body.float(threshold)
        }
        if let vectorName {
            body.raw(",\"using\":")
            body.value(.string(vectorName))
        }
        body.raw(",\"with_payload\":true}")
        return body.data
    }

    /// Qdrant's filter JSON; a bare condition at the top becomes `{"must":[condition]}`.
    static func filterValue(_ filter: PayloadFilter) -> JSONValue {
        switch filter {
        case .all(let conditions): ["must": .array(conditions.map(Self.conditionValue))]
        case .any(let conditions): ["should": .array(conditions.map(Self.conditionValue))]
        case .not(let condition): ["must_not": [Self.conditionValue(condition)]]
        case .match, .matchAny, .range: ["must": [Self.conditionValue(filter)]]
        }
    }

    private static func conditionValue(_ filter: PayloadFilter) -> JSONValue {
        switch filter {
        case .match(let key, let value):
            return ["key": .string(key), "match": ["value": value]]
        case .matchAny(let key, let values):
            return ["key": .string(key), "match": ["any": .array(values)]]
        case .range(let key, let lower, let upper):
            var range: [String: JSONValue] = [:]
            if let lower { range["gte"] = .number(lower) }
            if let upper { range["lte"] = .number(upper) }
            return ["key": .string(key), "range": .object(range)]
        case .all, .any, .not:
            // A nested filter object is itself a valid condition.
            return Self.filterValue(filter)
        }
    }

    /// Reads `config.params.vectors`: a single `{size, distance}`, or a map of named vectors
    /// (langchain's uses the empty name).
    static func collectionInfo(name: String, result: JSONValue, vectorName: String?) -> VectorCollectionInfo {
        let vectors = result.value(atPath: "config.params.vectors")
        var params = vectors
        if vectors?["size"] == nil, let named = vectors?.objectValue {
            params = named[vectorName ?? ""] ?? (named.count == 1 ? named.values.first : nil)
        }
        return VectorCollectionInfo(
            name: name,
            dimension: params?["size"]?.intValue,
            distance: params?["distance"]?.stringValue.flatMap(VectorDistance.init(rawValue:)),
            pointCount: result["points_count"]?.intValue
        )
    }

    /// The `result` of Qdrant's envelope `{"result":…,"status":"ok","time":…}`.
    static func result(from body: Data) throws(BackendError) -> JSONValue {
        let envelope: JSONValue
        do {
            envelope = try JSONValue(parsing: body)
        } catch {
            throw BackendError(.invalidResponse, backend: Self.backend, message: "could not read Qdrant's response: \(error)")
        }
        guard let result = envelope["result"] else {
            throw BackendError(.invalidResponse, backend: Self.backend, message: "Qdrant's response has no result")
        }
        return result
    }

    /// The hits of a query's result `{"points":[{"id":…,"score":…,"payload":{…}}]}`; a payload
    /// absent or null (not requested) reads as empty.
    static func scoredPoints(_ result: JSONValue) throws(BackendError) -> [ScoredPoint] {
        guard let points = result["points"]?.arrayValue else {
            throw BackendError(.invalidResponse, backend: Self.backend, message: "Qdrant's query result has no points")
        }
        var hits: [ScoredPoint] = []
        hits.reserveCapacity(points.count)
        for point in points {
            let id: PointID
            switch point["id"] {
            case .integer(let number) where number >= 0: id = .integer(UInt64(number))
            case .number(let number) where number >= 0 && number < 0x1p64 && number.rounded() == number: id = .integer(UInt64(number))
            case .string(let text): id = .uuid(text)
            default: throw BackendError(.invalidResponse, backend: Self.backend, message: "a Qdrant hit has no valid id")
            }
            let score: Float
            switch point["score"] {
            case .integer(let number): score = Float(number)
            case .number(let number): score = Float(number)
            default: throw BackendError(.invalidResponse, backend: Self.backend, message: "a Qdrant hit has no score")
            }
            hits.append(ScoredPoint(id: id, score: score, payload: point["payload"]?.objectValue ?? [:]))
        }
        return hits
    }

    /// Maps an error response; Qdrant says `{"status":{"error":"…"}}`.
    static func error(status: Int, headers: HTTPClientHeaders, body: Data, what: String) -> BackendError {
        let value = try? JSONValue(parsing: body)
        let detail = value?.value(atPath: "status.error")?.stringValue ?? OpenAIConnection.summary(of: body)
        var message = "\(what): \(detail.isEmpty ? "HTTP \(status)" : detail)"
        if status == 404, detail.contains("Collection") {
            message += " (create the collection or index documents first)"
        }
        return BackendError.classify(status: status, backend: Self.backend, message: message, headers: headers)
    }
}
