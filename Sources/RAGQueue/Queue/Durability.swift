/// What an accepted job has survived by the time `enqueue` returns (and the API answers 202).
///
/// Valkey acknowledges a write once it is in the primary's memory; a crash before its next
/// append-only fsync, or a failover before the replica received it, loses it. These levels wait
/// for more before acknowledging, at the cost of a longer submit.
public enum Durability: String, Sendable, Hashable, CaseIterable {
    /// In the primary's memory (Valkey's own acknowledgement): survives what the AOF policy says.
    case none
    /// Fsynced to the primary's append-only file (`WAITAOF 1 0`): survives a primary crash and
    /// restart. Needs `appendonly yes`.
    case local
    /// Received by at least one replica (`WAIT 1`): survives losing the primary when a replica
    /// takes over (Sentinel promotes the most up-to-date one).
    case replica
}
