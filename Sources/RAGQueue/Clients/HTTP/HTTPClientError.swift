import CCurlHelpers

/// A failure of the HTTP transport itself: no usable response was received.
///
/// HTTP error statuses are not `HTTPClientError`s; they come back as responses. Task cancellation
/// surfaces as `CancellationError`, not as this type.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a small closed set that callers can match and use as a metric label.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidURL = "invalid_url"
            case invalidRequest = "invalid_request"
            case resolveFailed = "resolve_failed"
            case connectFailed = "connect_failed"
            case timeout
            case tls
            case sendFailed = "send_failed"
            case receiveFailed = "receive_failed"
            case responseTooLarge = "response_too_large"
            case cancelled
            case shutdown
            case internalError = "internal"
        }

        fileprivate let base: Base

        /// The URL is malformed or its scheme is not http/https.
        public static let invalidURL = Code(base: .invalidURL)
        /// The request cannot be sent as given, e.g. a header contains a line break.
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The host (or proxy) name could not be resolved.
        public static let resolveFailed = Code(base: .resolveFailed)
        /// The TCP connection was refused or could not be established.
        public static let connectFailed = Code(base: .connectFailed)
        /// The connect or total deadline passed.
        public static let timeout = Code(base: .timeout)
        /// TLS failed: handshake, certificate verification or configuration.
        public static let tls = Code(base: .tls)
        /// Sending the request failed after connecting.
        public static let sendFailed = Code(base: .sendFailed)
        /// The connection broke or closed before a complete response arrived.
        public static let receiveFailed = Code(base: .receiveFailed)
        /// The response body grew past the configured limit.
        public static let responseTooLarge = Code(base: .responseTooLarge)
        /// The transfer was aborted, e.g. because the body's consumer went away.
        public static let cancelled = Code(base: .cancelled)
        /// The client was shut down before or while the request ran.
        public static let shutdown = Code(base: .shutdown)
        /// libcurl reported something this client does not expect (see `curlCode`).
        public static let internalError = Code(base: .internalError)

        /// A short stable name, usable as a metric label, e.g. `connect_failed`.
        public var description: String { self.base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The libcurl result code (`CURLcode`), when libcurl reported the failure.
    public let curlCode: Int?
    /// A human-readable explanation; it never contains request headers.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, curlCode: Int? = nil, message: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// Whether a new attempt may succeed: resolve, connect, timeout, send and receive failures.
    public var isTransient: Bool {
        switch self.code.base {
        case .resolveFailed, .connectFailed, .timeout, .sendFailed, .receiveFailed: true
        case .invalidURL, .invalidRequest, .tls, .responseTooLarge, .cancelled, .shutdown, .internalError: false
        }
    }

    /// `http.<code>: <message> (curl <n>)`.
    public var description: String {
        var text = "http.\(self.code): \(self.message)"
        if let curlCode = self.curlCode {
            text += " (curl \(curlCode))"
        }
        return text
    }
}

extension HTTPClientError {
    /// Maps a libcurl result code and its error-buffer text to an error.
    static func fromCurl(_ result: CURLcode, detail: String) -> HTTPClientError {
        let code: Code
        switch result {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            code = .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            code = .resolveFailed
        case CURLE_COULDNT_CONNECT:
            code = .connectFailed
        case CURLE_OPERATION_TIMEDOUT:
            code = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
            CURLE_USE_SSL_FAILED:
            code = .tls
        case CURLE_SEND_ERROR:
            code = .sendFailed
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
            CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING:
            code = .receiveFailed
        case CURLE_FILESIZE_EXCEEDED:
            code = .responseTooLarge
        case CURLE_ABORTED_BY_CALLBACK, CURLE_WRITE_ERROR:
            code = .cancelled
        default:
            code = .internalError
        }
        let message: String
        if !detail.isEmpty {
            message = detail
        } else if let text = curl_easy_strerror(result) {
            message = String(cString: text)
        } else {
            message = "libcurl error"
        }
        return HTTPClientError(code, curlCode: Int(result.rawValue), message: message)
    }
}
