#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One outbound HTTP request for `CurlHTTPClient`.
public struct HTTPClientRequest: Sendable {
    /// An HTTP method; any token is allowed, the common ones are provided.
    public struct Method: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// The method token as sent on the wire, e.g. `GET`.
        public let rawValue: String

        /// Creates a method from its token.
        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// Creates a method from a string literal.
        public init(stringLiteral value: String) {
            self.rawValue = value
        }

        /// `GET`.
        public static let get = Method("GET")
        /// `HEAD`: the response has no body.
        public static let head = Method("HEAD")
        /// `POST`.
        public static let post = Method("POST")
        /// `PUT`.
        public static let put = Method("PUT")
        /// `PATCH`.
        public static let patch = Method("PATCH")
        /// `DELETE`.
        public static let delete = Method("DELETE")

        /// The method token.
        public var description: String { self.rawValue }
    }

    /// The absolute URL, `http` or `https`.
    public var url: String
    /// The method; default `GET`.
    public var method: Method
    /// Header fields sent as given; `Content-Length` and `Host` are set by the client.
    public var headers: HTTPClientHeaders
    /// The body bytes, or nil for no body.
    public var body: Data?
    /// The whole-call deadline for this request, from start to last body byte; nil uses the client's default.
    public var timeout: Duration?
    /// The deadline for establishing the connection (TCP and TLS); nil uses the client's default.
    public var connectTimeout: Duration?

    /// Creates a request.
    public init(
        url: String,
        method: Method = .get,
        headers: HTTPClientHeaders = [:],
        body: Data? = nil,
        timeout: Duration? = nil,
        connectTimeout: Duration? = nil
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }
}
