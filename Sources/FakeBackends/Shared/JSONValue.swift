/// A JSON document as the fakes read and write it.
///
/// Objects keep their members in the order they arrived, so a payload comes back exactly as it
/// was stored and output never depends on the process's hash seed.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])
    /// Output only: a float32 array written in shortest round-trip form. The parser never makes it.
    case floats([Float])

    /// The member named `key` of an object (the last one when a key repeats), else nil.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// Whether the value is an object that has a member named `key`.
    func has(_ key: String) -> Bool {
        guard case .object(let members) = self else { return false }
        return members.contains(where: { $0.key == key })
    }

    /// The string, if this is one.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, if this is a number without fraction.
    var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: return Int64(value)
        default: return nil
        }
    }

    /// The number as a double, if this is a number.
    var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The boolean, if this is one.
    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The members, if this is an object.
    var objectValue: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Whether this is JSON `null`.
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The array of numbers as float32 values, if this is an array of numbers only.
    var floatArray: [Float]? {
        switch self {
        case .floats(let values):
            return values
        case .array(let values):
            var result = [Float]()
            result.reserveCapacity(values.count)
            for value in values {
                switch value {
                case .double(let number): result.append(Float(number))
                case .int(let number): result.append(Float(number))
                default: return nil
                }
            }
            return result
        default:
            return nil
        }
    }

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array, .floats: return "an array"
        case .object: return "an object"
        }
    }
}

/// One member of a JSON object.
struct JSONMember: Sendable, Equatable {
    /// The member's name.
    var key: String
    /// The member's value.
    var value: JSONValue

    /// A member named `key` holding `value`.
    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(floatLiteral value: Double) { self = .double(value) }
    init(nilLiteral: ()) { self = .null }

    /// An object with the given members in order; a convenience for building responses.
    static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.map { JSONMember($0.0, $0.1) })
    }

    /// A string, or null when `value` is nil.
    static func optional(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }
}
