#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A failed call to a backend (OpenAI-compatible API, Qdrant), classified for retry decisions.
///
/// `isTransient` says whether the same call may succeed later (rate limits, 5xx, timeouts,
/// connection failures); `retryAfter` carries the server's advice. Messages never contain API keys.
public struct BackendError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure: a closed set with stable names usable as metric labels.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case rateLimited = "rate_limited"
            case quotaExceeded = "quota_exceeded"
            case serverError = "server_error"
            case timeout
            case connection
            case tls
            case badRequest = "bad_request"
            case unauthorized
            case forbidden
            case notFound = "not_found"
            case conflict
            case dimensionMismatch = "dimension_mismatch"
            case invalidResponse = "invalid_response"
            case invalidConfiguration = "invalid_configuration"
            case canceled
        }

        fileprivate let base: Base

        /// 429: too many requests or tokens for now (transient).
        public static let rateLimited = Code(base: .rateLimited)
        /// 429 `insufficient_quota`: the account is out of credit (permanent).
        public static let quotaExceeded = Code(base: .quotaExceeded)
        /// 5xx: the backend failed or is overloaded (transient).
        public static let serverError = Code(base: .serverError)
        /// The call or the connect ran out of time, or the server answered 408 (transient).
        public static let timeout = Code(base: .timeout)
        /// The backend could not be reached or the connection broke (transient).
        public static let connection = Code(base: .connection)
        /// TLS handshake or certificate verification failed (permanent).
        public static let tls = Code(base: .tls)
        /// 400/413/422 and other 4xx: the request itself is wrong (permanent).
        public static let badRequest = Code(base: .badRequest)
        /// 401: missing or invalid API key (permanent).
        public static let unauthorized = Code(base: .unauthorized)
        /// 403: the key may not do this (permanent).
        public static let forbidden = Code(base: .forbidden)
        /// 404: missing collection, model or path (permanent).
        public static let notFound = Code(base: .notFound)
        /// 409: e.g. the collection already exists (permanent).
        public static let conflict = Code(base: .conflict)
        /// A vector's length differs from the collection's or the model's dimension (permanent).
        public static let dimensionMismatch = Code(base: .dimensionMismatch)
        /// The backend answered something this client cannot read (permanent).
        public static let invalidResponse = Code(base: .invalidResponse)
        /// The client's own settings are unusable, e.g. a malformed base URL (permanent).
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The call was cancelled or the client shut down (not retried).
        public static let canceled = Code(base: .canceled)

        /// A short stable name, e.g. `rate_limited`.
        public var description: String { self.base.rawValue }

        /// Whether a failure of this kind may go away by itself.
        public var isTransient: Bool {
            switch self.base {
            case .rateLimited, .serverError, .timeout, .connection: true
            case .quotaExceeded, .tls, .badRequest, .unauthorized, .forbidden, .notFound, .conflict,
                .dimensionMismatch, .invalidResponse, .invalidConfiguration, .canceled:
                false
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// Which backend failed, e.g. `openai` or `qdrant`.
    public let backend: String
    /// The HTTP status, when the backend answered.
    public let status: Int?
    /// The backend's own error code or type, e.g. `insufficient_quota`, when it gave one.
    public let providerCode: String?
    /// What happened, in words a person can act on; API keys are redacted.
    public let message: String
    /// How long the backend asked us to wait before retrying, if it said.
    public let retryAfter: Duration?
    /// Whether retrying the same call may succeed; the code decides unless the backend said otherwise.
    public let isTransient: Bool

    /// Creates an error; `message` is redacted of anything that looks like a key.
    public init(
        _ code: Code,
        backend: String,
        status: Int? = nil,
        providerCode: String? = nil,
        message: String,
        retryAfter: Duration? = nil,
        isTransient: Bool? = nil
    ) {
        self.code = code
        self.backend = backend
        self.status = status
        self.providerCode = providerCode
        self.message = Self.redact(message)
        self.retryAfter = retryAfter
        self.isTransient = isTransient ?? code.isTransient
    }

    /// `openai rate_limited (HTTP 429): <message>; retry after 2.0 seconds`.
    public var description: String {
        var text = "\(self.backend) \(self.code)"
        if let status = self.status {
            text += " (HTTP \(status))"
        }
        text += ": \(self.message)"
        if let retryAfter = self.retryAfter {
            text += "; retry after \(retryAfter)"
        }
        return text
    }

    /// A copy whose message has every occurrence of `secrets` replaced by `[redacted]`.
    public func redacting(_ secrets: [String]) -> BackendError {
        var message = self.message
        for secret in secrets where secret.count >= 4 {
            message.replace(secret, with: "[redacted]")
        }
        return BackendError(
            self.code,
            backend: self.backend,
            status: self.status,
            providerCode: self.providerCode,
            message: message,
            retryAfter: self.retryAfter,
            isTransient: self.isTransient
        )
    }

    /// Masks strings that look like credentials: `sk-…` keys and `Bearer …` tokens.
    static func redact(_ text: String) -> String {
        var text = text
        text.replace(#/sk-[A-Za-z0-9_\-*.]{4,}/#, with: "sk-***")
        text.replace(#/(?i)bearer\s+[A-Za-z0-9_\-.~+\/=*]+/#, with: "Bearer ***")
        if text.count > 1000 {
            text = String(text.prefix(1000)) + "…"
        }
        return text
    }
}
