extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits each (digests, key ids).
    public var lowercaseHex: String {
        var text = ""
        for byte in self {
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}
