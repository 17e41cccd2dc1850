/// An error talking to Valkey. Stable `code` strings make good metric labels.
public struct ValkeyError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidURL = "invalid_url"
        case connectionFailed = "connection_failed"
        case connectionLost = "connection_lost"
        case server = "server_error"
        case unexpectedReply = "unexpected_reply"
        case closed = "closed"
    }

    private let code: Code
    /// Detail from hiredis or the server; never carries the password.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A short stable identifier, usable as a metric label.
    public var codeName: String { code.rawValue }

    /// The URL could not be parsed or names an unsupported scheme.
    public static func invalidURL(_ message: String) -> ValkeyError { .init(.invalidURL, message) }
    /// No connection could be made within the reconnect budget.
    public static func connectionFailed(_ message: String) -> ValkeyError { .init(.connectionFailed, message) }
    /// The connection broke while a command was in flight: its outcome is unknown.
    public static func connectionLost(_ message: String) -> ValkeyError { .init(.connectionLost, message) }
    /// The server answered with an error reply.
    public static func server(_ message: String) -> ValkeyError { .init(.server, message) }
    /// The reply did not have the shape the caller expected.
    public static func unexpectedReply(_ message: String) -> ValkeyError { .init(.unexpectedReply, message) }
    /// The client was shut down.
    public static let closed = ValkeyError(.closed, "client is closed")

    /// Whether the error came from the network rather than the server: retrying may succeed.
    public var isConnectionError: Bool { code == .connectionFailed || code == .connectionLost }
    /// Whether the server refused a write because it reached `maxmemory` (with `noeviction`).
    public var isOutOfMemory: Bool { code == .server && message.hasPrefix("OOM") }
    /// Whether the server said the script is not in its cache.
    public var isNoScript: Bool { code == .server && message.hasPrefix("NOSCRIPT") }

    public var description: String { "valkey \(code.rawValue): \(message)" }
}
