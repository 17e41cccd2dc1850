/// JSON text to `JSONValue` and back, byte by byte: the API reads every stored answer and writes
/// every response through these, and the worker every Qdrant hit, so they skip `Codable`'s
/// boxing (through `JSONDecoder`, a `JSONValue` costs a thrown error per type it is not).
extension JSONValue {
    /// Why text is not JSON, with the byte offset where reading stopped.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// The deepest nesting accepted; deeper text is refused rather than read by deep recursion.
    public static let maximumDepth = 512

    /// Parses one JSON value (RFC 8259: any value at the top, surrounding whitespace allowed).
    /// Numbers without fraction or exponent that fit in `Int` become `.integer`; others `.number`
    /// (one too large for a Double is refused); a repeated key keeps its last value.
    public init(parsing bytes: some Collection<UInt8>) throws(ParseError) {
        self = try Self.read(bytes, building: true)
    }

    /// Whether `bytes` are one JSON document that `init(parsing:)` accepts, checked without
    /// building the value (no dictionaries, no strings): for bytes that are copied on as they are.
    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        (try? read(bytes, building: false)) != nil
    }

    private static func read(_ bytes: some Collection<UInt8>, building: Bool) throws(ParseError) -> JSONValue {
        let parsed: Result<JSONValue, ParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONBytesParser(buffer, building: building)
            return Result { () throws(ParseError) in try parser.document() }
        }
        return try (parsed ?? Array(bytes).withUnsafeBufferPointer({ buffer in
            var parser = JSONBytesParser(buffer, building: building)
            return Result { () throws(ParseError) in try parser.document() }
        })).get()
    }

    /// The value as compact JSON text, keys sorted; a non-finite number is written `null`.
    public var jsonBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        write(to: &bytes)
        return bytes
    }

    /// Appends the value as compact JSON text, keys sorted.
    public func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): bytes.append(contentsOf: String(value).utf8)
        case .number(let value): bytes.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        case .string(let value): Self.writeQuoted(value, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members): Self.writeObject(members, to: &bytes)
        }
    }

    /// Appends `{…}` of `members`, keys sorted, with `spliced.key` among them whose value is
    /// `spliced.json` copied as it is (JSON already, as `isValid` tells; it replaces a member of
    /// that name).
    public static func writeObject(_ members: [String: JSONValue], splicing spliced: (key: String, json: [UInt8])? = nil, to bytes: inout [UInt8]) {
        var keys = members.keys.sorted()
        if let spliced {
            if let existing = keys.firstIndex(of: spliced.key) { keys.remove(at: existing) }
            keys.insert(spliced.key, at: keys.firstIndex(where: { $0 > spliced.key }) ?? keys.endIndex)
        }
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.writeQuoted(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            if let spliced, key == spliced.key {
                bytes.append(contentsOf: spliced.json)
            } else {
                members[key]?.write(to: &bytes)
            }
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// A JSON string literal of `text`: quote, backslash and control characters escaped, the rest as UTF-8.
    /// Runs of bytes that need no escape are copied whole.
    static func writeQuoted(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var run = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
                case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
                case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
                default:
                    bytes.append(contentsOf: #"\u00"#.utf8)
                    bytes.append(contentsOf: [byte].lowercaseHex.utf8)
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }
}

/// A recursive-descent reader over one contiguous buffer. Not `building`, it checks the text
/// the same way and returns `.null` for every value.
private struct JSONBytesParser {
    typealias ParseError = JSONValue.ParseError

    let bytes: UnsafeBufferPointer<UInt8>
    let building: Bool
    var index = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, building: Bool) {
        self.bytes = bytes
        self.building = building
    }

    mutating func document() throws(ParseError) -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the value") }
        return value
    }

    private func failure(_ reason: String) -> ParseError {
        ParseError(offset: index, reason: reason)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(ParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(ParseError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count, UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[index..<index + count])
        else { throw failure("unexpected character") }
        index += count
    }

    private mutating func object() throws(ParseError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        guard try open(closing: UInt8(ascii: "}")) else { return .object(members) }
        repeat {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            let value = try value()
            if building { members[key] = value }
        } while try next(closing: UInt8(ascii: "}"))
        return building ? .object(members) : .null
    }

    private mutating func array() throws(ParseError) -> JSONValue {
        var values: [JSONValue] = []
        guard try open(closing: UInt8(ascii: "]")) else { return .array(values) }
        repeat {
            let value = try value()
            if building { values.append(value) }
        } while try next(closing: UInt8(ascii: "]"))
        return building ? .array(values) : .null
    }

    /// Enters an object or array at its opening bracket; false (and left again) when it is empty.
    private mutating func open(closing: UInt8) throws(ParseError) -> Bool {
        depth += 1
        guard depth <= JSONValue.maximumDepth else { throw failure("nested deeper than \(JSONValue.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == closing else { return true }
        index += 1
        depth -= 1
        return false
    }

    /// After a member or element: true at a comma (another follows), false at `closing` (the
    /// container is left).
    private mutating func next(closing: UInt8) throws(ParseError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of input") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return true
        }
        guard bytes[index] == closing else { throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))'") }
        index += 1
        depth -= 1
        return false
    }

    /// A string literal; `index` is at its opening quote.
    private mutating func string() throws(ParseError) -> String {
        index += 1
        let start = index
        // The common case: no escapes, read as one slice.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try utf8(start..<index)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("unescaped control character in a string") }
            index += 1
        }
        var scratch: [UInt8] = []
        if building { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index])) } else { _ = try utf8(start..<index) }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard building else { return "" }
                return try scratch.withUnsafeBufferPointer { buffer throws(ParseError) in
                    guard let text = String(validating: buffer, as: UTF8.self) else { throw failure("invalid UTF-8 in a string") }
                    return text
                }
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw failure("unexpected end of input") }
                let escaped = bytes[index]
                index += 1
                let scalar: Unicode.Scalar
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalar = Unicode.Scalar(escaped)
                case UInt8(ascii: "b"): scalar = "\u{08}"
                case UInt8(ascii: "f"): scalar = "\u{0C}"
                case UInt8(ascii: "n"): scalar = "\n"
                case UInt8(ascii: "r"): scalar = "\r"
                case UInt8(ascii: "t"): scalar = "\t"
                case UInt8(ascii: "u"): scalar = try unicodeEscape()
                default: throw failure("invalid escape")
                }
                if building { scratch.append(contentsOf: scalar.utf8) }
            default:
                // A run of plain bytes up to the next quote or escape, appended at once (chunks of
                // text carry a `\n` every line or so).
                let run = index
                while index < bytes.count, bytes[index] >= 0x20, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                    index += 1
                }
                guard index > run else { throw failure("unescaped control character in a string") }
                if building {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                } else {
                    // Escapes are ASCII, so valid runs between them make a valid string.
                    _ = try utf8(run..<index)
                }
            }
        }
        throw failure("unterminated string")
    }

    /// The scalar of a `\uXXXX` escape (or a surrogate pair of two); `index` is past the `u`.
    private mutating func unicodeEscape() throws(ParseError) -> Unicode.Scalar {
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure("lone surrogate in a \\u escape")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("lone surrogate in a \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw failure("lone surrogate in a \\u escape") }
        return unicode
    }

    /// The four hexadecimal digits of a `\u` escape, through the project's one hex decoder.
    private mutating func hex4() throws(ParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("short \\u escape") }
        let digits = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + 4]), as: UTF8.self)
        guard let pair = [UInt8](hex: digits) else { throw failure("invalid \\u escape") }
        index += 4
        return UInt32(pair[0]) << 8 | UInt32(pair[1])
    }

    /// The bytes of `range` as a string, refused unless UTF-8; not `building`, "" once checked
    /// (by `UTF8Span`, without making a string).
    private func utf8(_ range: Range<Int>) throws(ParseError) -> String {
        if !building {
            guard (try? UTF8Span(validating: UnsafeBufferPointer(rebasing: bytes[range]).span)) != nil else {
                throw ParseError(offset: range.lowerBound, reason: "invalid UTF-8 in a string")
            }
            return ""
        }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw ParseError(offset: range.lowerBound, reason: "invalid UTF-8 in a string")
        }
        return text
    }

    /// A number as RFC 8259 writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(ParseError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        var integral = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else {
            throw ParseError(offset: start, reason: "number \(text) is out of range")
        }
        return .number(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
