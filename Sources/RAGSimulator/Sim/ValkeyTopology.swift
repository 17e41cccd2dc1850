/// The shape of the Valkey a simulation starts for itself (`ragsim simulate --valkey`).
public enum ValkeyTopology: String, Sendable, CaseIterable {
    /// One server.
    case single
    /// A primary, two replicas and three sentinels; the queue finds the primary through them.
    case sentinel
    /// A 3-primary Valkey Cluster; the queue's keys are on the node serving its hash tag.
    case cluster
}
