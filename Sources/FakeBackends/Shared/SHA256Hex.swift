import Crypto

/// Lowercase hex SHA-256, for the fakes' deterministic fingerprints and tags.
enum SHA256Hex {
    /// The digest of `bytes`.
    static func of(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// The digest of `text`'s UTF-8.
    static func of(_ text: String) -> String {
        of(text.utf8)
    }
}
