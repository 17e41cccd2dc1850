/// Writes `JSONValue`s as compact JSON bytes.
///
/// Float32 numbers are written with `Float.description`, the shortest text that reads back as the
/// same float32, so float and base64 embeddings carry identical values.
struct JSONWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    /// A writer with room for about `capacity` bytes.
    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The compact JSON text of `value`.
    static func encode(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.write(value)
        return writer.bytes
    }

    /// Appends `value`.
    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: appendASCII("null")
        case .bool(let flag): appendASCII(flag ? "true" : "false")
        case .int(let number): bytes.append(contentsOf: String(number).utf8)
        case .double(let number): writeDouble(number)
        case .string(let text): writeString(text)
        case .floats(let numbers): writeFloats(numbers)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (position, element) in values.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (position, member) in members.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(member.key)
                bytes.append(UInt8(ascii: ":"))
                write(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends raw ASCII text, for the fixed parts of hand-built documents.
    mutating func appendASCII(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a double; non-finite values, which JSON cannot carry, become `null`.
    mutating func writeDouble(_ number: Double) {
        guard number.isFinite else { return appendASCII("null") }
        bytes.append(contentsOf: number.description.utf8)
    }

    /// Appends a float32 array in shortest round-trip form.
    mutating func writeFloats(_ numbers: [Float]) {
        bytes.reserveCapacity(bytes.count + numbers.count * 12 + 2)
        bytes.append(UInt8(ascii: "["))
        for (position, number) in numbers.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            if number.isFinite {
                bytes.append(contentsOf: number.description.utf8)
            } else {
                appendASCII("null")
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends a quoted, escaped string.
    mutating func writeString(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            // Runs of bytes that need no escape are copied whole.
            var run = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): appendASCII("\\\"")
                case UInt8(ascii: "\\"): appendASCII("\\\\")
                case 0x0A: appendASCII("\\n")
                case 0x0D: appendASCII("\\r")
                case 0x09: appendASCII("\\t")
                default:
                    appendASCII("\\u00")
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
