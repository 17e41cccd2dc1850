/// Valkey Cluster's key slots: CRC16 (XMODEM) of the key, or of its hash tag, modulo 16384.
public enum ValkeySlot {
    /// The number of slots in a cluster.
    public static let count = 16384

    /// The slot of `key`: of the text between its first `{` and the next `}` when that is not
    /// empty (the hash tag), else of the whole key.
    public static func of(_ key: String) -> Int {
        var bytes = Array(key.utf8)
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            bytes = Array(bytes[(open + 1)..<close])
        }
        return Int(crc16(bytes)) % count
    }

    /// The primary serving `slot` in a `CLUSTER SLOTS` reply: its host (nil when the node left it
    /// out, meaning the node asked) and port; nil when no range holds the slot.
    public static func owner(of slot: Int, in reply: ValkeyReply) -> (host: String?, port: Int)? {
        for range in reply.array ?? [] {
            guard let parts = range.array, parts.count >= 3, let first = parts[0].int, let last = parts[1].int,
                  (first...last).contains(Int64(slot)), let owner = parts[2].array, owner.count >= 2, let port = owner[1].int
            else { continue }
            return (owner[0].string.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 }, Int(port))
        }
        return nil
    }

    private static func crc16(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
