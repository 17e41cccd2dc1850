/// A job's identifier: 128 random bits, written as 22 URL-safe base64 characters.
public struct JobID: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The textual form, safe in URLs and Valkey keys.
    public let rawValue: String

    /// A fresh random id.
    public init() {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        rawValue = Self.base64URL(bytes)
    }

    /// Parses an id received from outside; nil unless it has the exact shape this type produces.
    public init?(_ description: String) {
        guard description.utf8.count == 22, description.utf8.allSatisfy(Self.isAlphabet) else { return nil }
        // 22 characters carry 132 bits; the last character holds only 2 of them, the rest must be zero.
        guard let last = description.utf8.last, let value = Self.alphabet.firstIndex(of: last), value & 0b1111 == 0 else {
            return nil
        }
        rawValue = description
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = JobID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a job id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95
    }

    /// Unpadded base64url of `bytes`.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((chunk >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var chunk = UInt32(bytes[index]) << 16
            if rest == 2 { chunk |= UInt32(bytes[index + 1]) << 8 }
            let shifts = rest == 1 ? [18, 12] : [18, 12, 6]
            for shift in shifts { output.append(alphabet[Int((chunk >> UInt32(shift)) & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
