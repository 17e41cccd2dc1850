#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A hit as Qdrant returns it; `payload` is absent or null when not requested.
struct QdrantScoredPoint: Decodable {
    var id: PointID
    var score: Float
    var payload: [String: JSONValue]?
}

/// Qdrant's success envelope `{"result":…,"status":"ok","time":…}`.
struct QdrantEnvelope<Result: Decodable>: Decodable {
    var result: Result
}

/// A vector on the wire: a bare float list, or `{"<name>": [...]}` for a named vector.
struct QdrantVector: Encodable {
    var values: [Float]
    var name: String?

    func encode(to encoder: any Encoder) throws {
        if let name {
            var container = encoder.singleValueContainer()
            try container.encode([name: self.values])
        } else {
            var container = encoder.singleValueContainer()
            try container.encode(self.values)
        }
    }
}

/// The body of `PUT /collections/{name}/points`.
struct QdrantUpsertRequest: Encodable {
    struct Point: Encodable {
        var id: PointID
        var vector: QdrantVector
        var payload: [String: JSONValue]
    }

    var points: [Point]
}

/// The body of `POST /collections/{name}/points/query`.
struct QdrantQueryRequest: Encodable {
    var query: [Float]
    var limit: Int
    var withPayload: Bool
    var using: String?
    var filter: JSONValue?
    var scoreThreshold: Float?

    enum CodingKeys: String, CodingKey {
        case query, limit, using, filter
        case withPayload = "with_payload"
        case scoreThreshold = "score_threshold"
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

    static func upsertBody(_ points: [VectorPoint], vectorName: String?) -> QdrantUpsertRequest {
        QdrantUpsertRequest(
            points: points.map { point in
                QdrantUpsertRequest.Point(
                    id: point.id,
                    vector: QdrantVector(values: point.vector, name: vectorName),
                    payload: point.payload
                )
            }
        )
    }

    static func queryBody(_ query: VectorQuery, vectorName: String?) -> QdrantQueryRequest {
        QdrantQueryRequest(
            query: query.vector,
            limit: query.limit,
            withPayload: true,
            using: vectorName,
            filter: query.filter.map(Self.filterValue),
            scoreThreshold: query.scoreThreshold
        )
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

    static func encode(_ body: some Encodable) throws -> Data {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(body)
        } catch {
            throw BackendError(.badRequest, backend: Self.backend, message: "could not encode the request (NaN or infinite number?): \(error)")
        }
    }

    /// The `result` of Qdrant's envelope `{"result":…,"status":"ok","time":…}`.
    static func decodeResult<Result: Decodable>(_ type: Result.Type, from body: Data) throws -> Result {
        do {
            return try JSONDecoder().decode(QdrantEnvelope<Result>.self, from: body).result
        } catch {
            throw BackendError(.invalidResponse, backend: Self.backend, message: "could not read Qdrant's response: \(error)")
        }
    }

    /// Maps an error response; Qdrant says `{"status":{"error":"…"}}`.
    static func error(status: Int, headers: HTTPClientHeaders, body: Data, what: String) -> BackendError {
        let value = try? JSONDecoder().decode(JSONValue.self, from: body)
        let detail = value?.value(atPath: "status.error")?.stringValue ?? OpenAIConnection.summary(of: body)
        var message = "\(what): \(detail.isEmpty ? "HTTP \(status)" : detail)"
        if status == 404, detail.contains("Collection") {
            message += " (create the collection or index documents first)"
        }
        return BackendError.classify(status: status, backend: Self.backend, message: message, headers: headers)
    }
}
