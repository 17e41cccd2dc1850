import Crypto
import RAGQueue

/// The `RAGQueue-Signature` header of a webhook: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, where
/// the HMAC's key is the signing secret and its message is `"<t>." + body`.
///
/// Receivers recompute it over the raw body, compare in constant time, and refuse stale `t` values
/// to stop replays.
public struct WebhookSignature: Sendable, Hashable {
    /// The header's name.
    public static let headerName = "RAGQueue-Signature"

    /// Unix seconds at signing.
    public var timestamp: Int64
    /// Lowercase hex HMAC-SHA256.
    public var signature: String

    /// Signs `body` at `timestamp` with `secret`.
    public init(body: [UInt8], secret: String, timestamp: Int64) {
        self.timestamp = timestamp
        self.signature = Array(Self.code(body: body, secret: secret, timestamp: timestamp)).lowercaseHex
    }

    /// HMAC-SHA256 of `"<timestamp>." + body` under `secret`.
    private static func code(body: [UInt8], secret: String, timestamp: Int64) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
    }

    /// The header value.
    public var headerValue: String { "t=\(timestamp),v1=\(signature)" }

    /// Whether `header` is a valid signature of `body` under `secret`, made within `tolerance`
    /// seconds of `now`.
    public static func verify(header: String, body: [UInt8], secret: String, now: Int64, tolerance: Int64 = 300) -> Bool {
        var timestamp: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { continue }
            if pieces[0] == "t" { timestamp = Int64(pieces[1]) }
            if pieces[0] == "v1" { signatures.append(pieces[1]) }
        }
        guard let timestamp, abs(now - timestamp) <= tolerance else { return false }
        let message = Array("\(timestamp).".utf8) + body
        let key = SymmetricKey(data: Array(secret.utf8))
        // swift-crypto compares the codes in constant time.
        return signatures.contains { signature in
            guard let bytes = [UInt8](hex: signature) else { return false }
            return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: message, using: key)
        }
    }
}
