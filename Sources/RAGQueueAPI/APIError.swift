import Foundation
import Hummingbird
import NIOHTTP1
import RAGQueue

/// An error as the API shows it: a status, a short stable code and a message, rendered as
/// `{"error":{"code":...,"message":...}}` (or FastAPI's `{"detail":...}` on the seed's routes).
///
/// `APIError.from(_:)` is the one place where queue, Valkey and framework errors become HTTP errors.
public struct APIError: Error, Sendable, HTTPResponseError, CustomStringConvertible {
    private enum Code: String, Sendable {
        case badRequest = "bad_request"
        case unauthorized = "unauthorized"
        case forbidden = "forbidden"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case conflict = "conflict"
        case payloadTooLarge = "payload_too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case validation = "validation_error"
        case rateLimited = "rate_limited"
        case queueFull = "queue_full"
        case budgetExhausted = "budget_exhausted"
        case unavailable = "backend_unavailable"
        case dataLost = "valkey_data_lost"
        case durabilityUnconfirmed = "durability_unconfirmed"
        case internalError = "internal_error"
    }

    /// How the body is shaped.
    enum Style: Sendable {
        /// `{"error":{"code","message"}}`.
        case standard
        /// FastAPI's `{"detail": <message or detail>}`, for the seed's routes.
        case fastAPI
    }

    private let code: Code
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// What a person reads; never carries a key or a stack.
    public let message: String
    /// Seconds the client should wait, sent as `Retry-After`.
    public let retryAfterSeconds: Int?
    /// A structured FastAPI `detail`, replacing the message on the seed's routes.
    let fastAPIDetail: JSONValue?
    /// The methods the route answers, sent as `Allow` with a 405.
    let allowedMethods: [String]?
    var style: Style = .standard

    private init(
        _ code: Code, _ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil, fastAPIDetail: JSONValue? = nil,
        allowedMethods: [String]? = nil
    ) {
        self.code = code
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfter
        self.fastAPIDetail = fastAPIDetail
        self.allowedMethods = allowedMethods
    }

    /// The stable code, also a metric label.
    public var codeName: String { code.rawValue }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }

    /// 400: the request cannot be read.
    public static func badRequest(_ message: String) -> APIError { .init(.badRequest, .badRequest, message) }
    /// A request the HTTP parser refused.
    static let malformedHTTP = badRequest("the request is not valid HTTP/1.1 (request line, headers or framing)")
    /// 401: no valid API key.
    public static let unauthorized = APIError(.unauthorized, .unauthorized, "a valid API key is required (Authorization: Bearer <key> or X-API-Key)")
    /// 403: the caller's tenant may not use what it named (a collection outside its walls).
    public static func forbidden(_ message: String) -> APIError { .init(.forbidden, .forbidden, message) }
    /// 404: no such job for this caller.
    public static func notFound(_ message: String = "job not found") -> APIError { .init(.notFound, .notFound, message) }
    /// 405: the path is routed, but not for this method; `allowed` goes out as `Allow`.
    public static func methodNotAllowed(allowed: [String]) -> APIError {
        .init(
            .methodNotAllowed, .methodNotAllowed, "this route answers \(allowed.joined(separator: ", ")) only",
            allowedMethods: allowed
        )
    }
    /// 409: the job has ended already.
    public static func conflict(_ message: String) -> APIError { .init(.conflict, .conflict, message) }
    /// 413: the body is larger than allowed.
    public static func payloadTooLarge(limit: Int) -> APIError {
        .init(.payloadTooLarge, .contentTooLarge, "request body exceeds \(limit) bytes")
    }
    /// 415: the body is not JSON.
    public static let unsupportedMediaType = APIError(.unsupportedMediaType, .unsupportedMediaType, "the body must be application/json")
    /// 422: a field is missing or out of range.
    public static func validation(_ message: String) -> APIError { .init(.validation, .unprocessableContent, message) }
    /// 429: the key's rate limit is spent.
    public static func rateLimited(retryAfterSeconds: Int) -> APIError {
        .init(.rateLimited, .tooManyRequests, "rate limit exceeded; retry later", retryAfter: max(1, retryAfterSeconds))
    }
    /// 429: the caller holds as many event streams and long-polls as it may.
    public static func tooManyOpenWaits(limit: Int) -> APIError {
        .init(.rateLimited, .tooManyRequests, "this key holds \(limit) event streams or long-polls open already; close one first", retryAfter: 1)
    }
    /// 429: the tenant's budget for the period is spent (or reserved by queries still running).
    public static func budgetExhausted(tenant: String, budget: String, retryAfter: Duration) -> APIError {
        let seconds = Int(retryAfter.seconds.rounded(.up))
        return .init(
            .budgetExhausted, .tooManyRequests,
            "the budget of tenant \(tenant) (\(budget)) is spent or reserved by queries still running; it renews in \(seconds) s",
            retryAfter: max(1, seconds)
        )
    }
    /// 503 from `/readyz`: the queue's Valkey lost its data (see `StoreDataLossWatch`).
    public static let dataLost = APIError(
        .dataLost, .serviceUnavailable,
        "Valkey lost the queue's data (restarted without appendonly, or flushed): jobs accepted before are gone; see the logs"
    )
    /// 503: the queue or Valkey cannot take work now.
    public static func unavailable(_ message: String, retryAfterSeconds: Int = 1) -> APIError {
        .init(.unavailable, .serviceUnavailable, message, retryAfter: retryAfterSeconds)
    }
    /// 422 in FastAPI's shape for a missing query parameter.
    static func fastAPIMissingQueryParameter(_ name: String) -> APIError {
        let detail: JSONValue = .array([.object([
            "type": .string("missing"), "loc": .array([.string("query"), .string(name)]),
            "msg": .string("Field required"), "input": .null,
        ])])
        return APIError(.validation, .unprocessableContent, "missing query parameter \(name)", fastAPIDetail: detail).inSeedStyle
    }

    /// This error in FastAPI's body shape.
    var inSeedStyle: APIError {
        var copy = self
        copy.style = .fastAPI
        return copy
    }

    /// The one mapping from any error to what the client sees. Unknown errors are 500 with a
    /// generic message; their detail goes to the log only.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as QueueError:
            if error.isQueueFull {
                // The wait the queue measured from the rate jobs end at, 5 s when it has none.
                let seconds = error.retryAfter.map { Int($0.seconds.rounded(.up)) } ?? 5
                return .init(.queueFull, .serviceUnavailable, "the queue is full; retry in about \(seconds) s", retryAfter: max(1, seconds))
            }
            if error.isNotFound { return .notFound() }
            if error.isAlreadyEnded { return .conflict(error.message) }
            // An action the job's state does not allow (an operator's retry of a job that did not fail).
            if error.isInvalidState { return .conflict(error.message) }
            if error.isDurabilityUnconfirmed, let id = error.jobID {
                return .init(
                    .durabilityUnconfirmed, .serviceUnavailable,
                    "\(error.message); the job may still run: read GET /v1/queries/\(id), or submit again with the same Idempotency-Key",
                    retryAfter: 1
                )
            }
            if error.isOutOfMemory { return .unavailable("the queue's Valkey is full (maxmemory); nothing was written, retry later", retryAfterSeconds: 5) }
            if error.isBackendUnavailable { return .unavailable("the queue backend is unavailable") }
            if error.codeName == "invalid_payload" { return .validation(error.message) }
            return .init(.internalError, .internalServerError, "internal error")
        case is HTTPParserError:
            // A body whose framing breaks while a route reads it (a bad chunk size, say).
            return .malformedHTTP
        case let error as QueryValidationError:
            return error.isMalformed ? .badRequest(error.message) : .validation(error.message)
        case let error as any HTTPResponseError:
            switch error.status {
            case .contentTooLarge: return .init(.payloadTooLarge, .contentTooLarge, "request body is too large")
            case .notFound: return .init(.notFound, .notFound, "no such route")
            case .methodNotAllowed: return .init(.methodNotAllowed, .methodNotAllowed, "method not allowed on this route")
            case .unauthorized: return .unauthorized
            case .unsupportedMediaType: return .unsupportedMediaType
            case .unprocessableContent: return .validation("the request is not valid")
            case .tooManyRequests: return .rateLimited(retryAfterSeconds: 1)
            case .serviceUnavailable: return .unavailable("service unavailable")
            default:
                if error.status.code >= 400 && error.status.code < 500 {
                    return .init(.badRequest, error.status, error.status.reasonPhrase)
                }
                return .init(.internalError, .internalServerError, "internal error")
            }
        default:
            return .init(.internalError, .internalServerError, "internal error")
        }
    }

    /// The JSON response, with `Retry-After` when set.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    /// The JSON body.
    var body: JSONValue {
        switch style {
        case .standard: .object(["error": .object(["code": .string(code.rawValue), "message": .string(message)])])
        case .fastAPI: .object(["detail": fastAPIDetail ?? .string(message)])
        }
    }

    /// The JSON response, with `Retry-After` and `Allow` when set, and the ways to present a key
    /// with a 401 (`WWW-Authenticate`: a browser then asks for it, as HTTP Basic's password).
    func makeResponse() -> Response {
        var response = Response.json(body, status: status)
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        if let allowedMethods { response.headers[.allow] = allowedMethods.joined(separator: ", ") }
        if status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="RAGQueue", Basic realm="RAGQueue", charset="UTF-8""# }
        return response
    }
}
