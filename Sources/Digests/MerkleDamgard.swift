/// The message padding that SHA-1 and SHA-256 share.
enum MerkleDamgard {
    /// `message`, a 1 bit, zeros to 56 bytes mod 64, then the bit length as a big-endian UInt64.
    static func padded<Bytes: Collection<UInt8>>(_ message: Bytes) -> [UInt8] {
        var padded = Array(message)
        let bitLength = UInt64(padded.count) &* 8
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        return padded
    }
}
