import HTTPTypes
import Hummingbird
import Logging
import RAGQueue

/// Accepts the caller's `X-Request-Id` (or makes one), returns it on every response and puts it in
/// the request's log metadata (`request.id`).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// The header's name.
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = request.headers[Self.header].flatMap(Self.accept) ?? JobID().rawValue
        context.requestID = requestID
        context.logger[metadataKey: "request.id"] = .string(requestID)
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = requestID
            return response
        } catch {
            // The error middleware inside turns errors into responses; this keeps the id on anything else.
            var response = APIError.from(error).makeResponse()
            response.headers[Self.header] = requestID
            return response
        }
    }

    /// A caller's id, when it is 1-128 visible ASCII characters without spaces.
    static func accept(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        return value
    }
}
