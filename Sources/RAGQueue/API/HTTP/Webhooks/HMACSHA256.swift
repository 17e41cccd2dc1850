import Digests

/// HMAC-SHA256 (RFC 2104) over the shared `SHA256`, for webhook signatures and API key digests.
public enum HMACSHA256 {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(for message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        var keyBlock = key.count > 64 ? digest(key) : Array(key)
        keyBlock += [UInt8](repeating: 0, count: 64 - keyBlock.count)
        let inner = keyBlock.map { $0 ^ 0x36 } + Array(message)
        let outer = keyBlock.map { $0 ^ 0x5c } + digest(inner)
        return digest(outer)
    }

    /// The lowercase hex HMAC-SHA256 of `message` under `key`.
    public static func hexAuthenticationCode(for message: String, key: String) -> String {
        hex(authenticationCode(for: Array(message.utf8), key: Array(key.utf8)))
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hexString(bytes)
    }

    /// Whether two byte strings are equal, in time that depends only on their lengths.
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    /// The 32-byte SHA-256 digest of `message`.
    public static func digest(_ message: some Collection<UInt8>) -> [UInt8] {
        SHA256.digest(message)
    }
}
