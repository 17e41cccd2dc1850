/// An ordered list of HTTP header fields whose names compare case-insensitively.
///
/// Order and duplicates are kept as sent or received; lookups by name return the first match.
public struct HTTPClientHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header field: its name as written and its value.
    public struct Field: Sendable, Hashable {
        /// The field name as sent or received (compare with `HTTPClientHeaders` lookups, which ignore case).
        public var name: String
        /// The field value with surrounding whitespace removed.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    private var fields: [Field]

    /// Creates an empty header list.
    public init() {
        self.fields = []
    }

    /// Creates a header list from name/value pairs, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// The number of fields, duplicates included.
    public var count: Int { self.fields.count }

    /// Appends a field, keeping any existing field of the same name.
    public mutating func add(name: String, value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of this name (any case) with one field, or removes them all when `value` is nil.
    public mutating func replaceOrAdd(name: String, value: String?) {
        self.fields.removeAll { Self.same($0.name, name) }
        if let value {
            self.fields.append(Field(name: name, value: value))
        }
    }

    /// The first value of the named field (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        self.fields.first { Self.same($0.name, name) }?.value
    }

    /// Every value of the named field (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        self.fields.filter { Self.same($0.name, name) }.map(\.value)
    }

    /// Whether a field of this name (case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        self.fields.contains { Self.same($0.name, name) }
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> {
        self.fields.makeIterator()
    }

    /// Whether two field names are the same but for ASCII case (field names are ASCII tokens;
    /// other bytes must match exactly).
    private static func same(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && lhs.utf8.elementsEqual(rhs.utf8) { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
