/// One reply from Valkey, converted from hiredis's `redisReply` tree into Swift values.
public enum ValkeyReply: Sendable, Hashable {
    /// A bulk string (binary-safe bytes).
    case bulk([UInt8])
    /// A status reply such as `OK` or `QUEUED`.
    case status(String)
    /// An integer reply.
    case integer(Int64)
    /// A nil bulk string or nil array.
    case null
    /// An array of replies.
    case array([ValkeyReply])
    /// An error reply from the server (`ERR ...`, `NOSCRIPT ...`).
    case error(String)
}

extension ValkeyReply {
    /// The reply as a UTF-8 string, for bulk and status replies; nil otherwise.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The reply as an integer: integer replies, and bulk strings holding a decimal number.
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk, .status: string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The reply as a Double: integers and bulk strings holding a number (sorted-set scores).
    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .bulk, .status: string.flatMap { Double($0) }
        default: nil
        }
    }

    /// The elements of an array reply; nil for other kinds (an empty array for `.null`).
    public var array: [ValkeyReply]? {
        switch self {
        case .array(let elements): elements
        case .null: []
        default: nil
        }
    }

    /// Whether this is the nil reply.
    public var isNull: Bool { self == .null }

    /// Throws the server's error when this is an error reply; returns the reply otherwise.
    @discardableResult
    public func throwingServerError() throws(ValkeyError) -> ValkeyReply {
        if case .error(let message) = self {
            throw ValkeyError.server(message)
        }
        return self
    }
}
