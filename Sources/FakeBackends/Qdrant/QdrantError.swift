/// An error answer in Qdrant's envelope: `{"status":{"error":"…"},"time":…}`.
struct QdrantError: Error, Sendable {
    /// The HTTP status.
    var status: Int
    /// `status.error`.
    var message: String
    /// Extra response headers (an integer `Retry-After` on 429).
    var headers: [(String, String)] = []

    /// 400 `Format error in JSON body: …` for malformed JSON or wrong types.
    static func format(_ detail: String) -> QdrantError {
        QdrantError(status: 400, message: "Format error in JSON body: \(detail)")
    }

    /// 400 for a parse failure, with serde's position.
    static func format(_ failure: JSONParser.Failure) -> QdrantError {
        format("\(failure.message) at line \(failure.line) column \(failure.column)")
    }

    /// 400 `Wrong input: …`.
    static func wrongInput(_ detail: String) -> QdrantError {
        QdrantError(status: 400, message: "Wrong input: \(detail)")
    }

    /// 422 `Validation error in JSON body: […]`.
    static func validation(_ detail: String) -> QdrantError {
        QdrantError(status: 422, message: "Validation error in JSON body: [\(detail)]")
    }

    /// 404 for a missing collection.
    static func collectionNotFound(_ name: String) -> QdrantError {
        QdrantError(status: 404, message: "Not found: Collection `\(name)` doesn't exist!")
    }

    /// 400 for an id that is neither an unsigned integer nor a UUID.
    static func invalidPointID(_ value: JSONValue) -> QdrantError {
        let shown = String(decoding: JSONWriter.encode(value), as: UTF8.self)
        return format("value \(shown) is not a valid point ID, valid values are either an unsigned integer or a UUID")
    }

    /// The canonical error of an injected status fault; 429 carries an integer `Retry-After`.
    static func injected(status: Int, retryAfter: Duration) -> QdrantError {
        switch status {
        case 429:
            let seconds = max(1, (max(0, retryAfter.ceilMilliseconds) + 999) / 1000)
            return QdrantError(
                status: 429, message: "Too many requests: rate limit exceeded (injected fault), retry after \(seconds) s",
                headers: [("retry-after", String(seconds))])
        case 500: return QdrantError(status: 500, message: "Service internal error: injected fault")
        case 503:
            let seconds = max(1, (max(0, retryAfter.ceilMilliseconds) + 999) / 1000)
            return QdrantError(status: 503, message: "Service unavailable: injected fault", headers: [("retry-after", String(seconds))])
        case 401: return QdrantError(status: 401, message: "Must provide an API key or an Authorization bearer token")
        case 403: return QdrantError(status: 403, message: "Forbidden: injected fault")
        case 404: return QdrantError(status: 404, message: "Not found: injected fault")
        default: return QdrantError(status: status, message: status >= 500 ? "Service internal error: injected fault" : "Bad request: injected fault")
        }
    }

    /// The JSON body.
    var body: JSONValue {
        .obj([("status", .obj([("error", .string(message))])), ("time", .double(0.0))])
    }
}
