import Foundation
import RAGQueue

/// A `POST /v1/queries` body, read and checked: malformed JSON is 400, a missing or out-of-range
/// field is 422, and what passes becomes a `RAGQuery` payload.
struct QuerySubmission {
    private struct Body: Decodable {
        var query: String?
        var collection: String?
        var topK: Int?
        var filter: [String: JSONValue]?
        var stream: Bool?
        var callbackURL: String?

        enum CodingKeys: String, CodingKey {
            case query, collection, filter, stream
            case topK = "top_k"
            case callbackURL = "callback_url"
        }
    }

    /// Most filter conditions a query may carry.
    static let maxFilterConditions = 32

    /// The payload `bytes` describes, checked against `limits` and `callbackPolicy`.
    static func parse(_ bytes: [UInt8], limits: APIConfiguration.Limits, callbackPolicy: CallbackURLPolicy) throws(APIError) -> RAGQuery {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw .badRequest("the body is not valid JSON")
        }
        guard let text = body.query else { throw .validation("query is required") }
        let query = try checkedQuery(text, limits: limits)
        let topK = body.topK ?? limits.defaultTopK
        guard limits.topKRange.contains(topK) else {
            throw .validation("top_k must be between \(limits.topKRange.lowerBound) and \(limits.topKRange.upperBound)")
        }
        if let collection = body.collection {
            guard (1...255).contains(collection.utf8.count),
                  collection.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") })
            else { throw .validation("collection must be 1-255 visible characters without '/'") }
        }
        if let filter = body.filter {
            guard filter.count <= maxFilterConditions else { throw .validation("filter allows at most \(maxFilterConditions) conditions") }
            for (key, value) in filter {
                guard !key.isEmpty, key.utf8.count <= 256 else { throw .validation("filter keys must be 1-256 characters") }
                switch value {
                case .string, .integer, .bool: continue
                case .number(let number) where number.rounded() == number: continue
                default: throw .validation("filter values must be strings, integers or booleans")
                }
            }
        }
        let callback = try body.callbackURL.map { url throws(APIError) in try callbackPolicy.check(url) }
        return RAGQuery(
            query: query, collection: body.collection, topK: topK, filter: body.filter,
            stream: body.stream ?? false, callbackURL: callback
        )
    }

    /// The question, trimmed; blank or too long is refused.
    static func checkedQuery(_ text: String, limits: APIConfiguration.Limits) throws(APIError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .validation("query must not be empty") }
        guard trimmed.count <= limits.maxQueryLength else {
            throw .validation("query must be at most \(limits.maxQueryLength) characters")
        }
        return trimmed
    }

    private static func describe(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "the body" : path
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .badRequest("the body is not valid JSON")
        case .dataCorrupted(let context):
            return .validation("\(path(context)) is not valid")
        case .typeMismatch(_, let context):
            return context.codingPath.isEmpty ? .validation("the body must be a JSON object") : .validation("\(path(context)) has the wrong type")
        case .valueNotFound(_, let context):
            return .validation("\(path(context)) must not be null")
        case .keyNotFound(let key, _):
            return .validation("\(key.stringValue) is required")
        @unknown default:
            return .badRequest("the body cannot be read")
        }
    }
}
