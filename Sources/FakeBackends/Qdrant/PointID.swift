/// A Qdrant point id: an unsigned 64-bit integer or a UUID.
enum PointID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An integer id, written as a JSON integer.
    case number(UInt64)
    /// A UUID, kept in canonical lowercase hyphenated form.
    case uuid(String)

    /// Parses a JSON id: a non-negative integer or a UUID string (simple, hyphenated, braced or
    /// `urn:uuid:` form). Anything else, numeric strings included, is nil.
    init?(json: JSONValue) {
        switch json {
        case .int(let value) where value >= 0: self = .number(UInt64(value))
        case .string(let text):
            guard let canonical = Self.canonicalUUID(text) else { return nil }
            self = .uuid(canonical)
        default: return nil
        }
    }

    /// Parses an id from a URL path segment, where integers arrive as text.
    init?(pathSegment: String) {
        if let value = UInt64(pathSegment) {
            self = .number(value)
        } else if let canonical = Self.canonicalUUID(pathSegment) {
            self = .uuid(canonical)
        } else {
            return nil
        }
    }

    /// The id as Qdrant writes it in responses.
    var json: JSONValue {
        switch self {
        case .number(let value): return value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(Double(value))
        case .uuid(let text): return .string(text)
        }
    }

    var description: String {
        switch self {
        case .number(let value): return String(value)
        case .uuid(let text): return text
        }
    }

    /// Integers ascending first, then UUIDs in lexical order: the fake's tie-break and scroll order.
    static func < (lhs: PointID, rhs: PointID) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return a < b
        case (.number, .uuid): return true
        case (.uuid, .number): return false
        case (.uuid(let a), .uuid(let b)): return a < b
        }
    }

    /// The canonical lowercase hyphenated form of a UUID in any accepted spelling, or nil.
    static func canonicalUUID(_ text: String) -> String? {
        var body = Substring(text.lowercased())
        if body.hasPrefix("urn:uuid:") { body = body.dropFirst(9) }
        if body.hasPrefix("{") && body.hasSuffix("}") { body = body.dropFirst().dropLast() }
        let hex = body.utf8.filter { $0 != UInt8(ascii: "-") }
        guard hex.count == 32, hex.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        if body.utf8.count == 36 {
            let dashes = body.utf8.enumerated().filter { $0.element == UInt8(ascii: "-") }.map(\.offset)
            guard dashes == [8, 13, 18, 23] else { return nil }
        } else if body.utf8.count != 32 {
            return nil
        }
        var out = [UInt8]()
        for (index, byte) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { out.append(UInt8(ascii: "-")) }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
