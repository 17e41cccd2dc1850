import Foundation
import RAGQueue

/// Three private `valkey-server` processes in cluster mode, made one 3-primary cluster without
/// `valkey-cli` (`ValkeyJobStore.formCluster`). For tests and the simulator; every process is
/// started and stopped by pid.
public struct ValkeyClusterGroup: Sendable {
    /// The nodes, in the order their slot ranges go up.
    public let nodes: [ValkeyServerProcess]
    /// Each node's cluster bus port (chosen here, below the ephemeral range, not port + 10000).
    public let busPorts: [Int]

    /// Three nodes that `start()` will launch, with an append-only file each when `appendOnly`.
    public init(appendOnly: Bool = false, executable: String? = nil) throws {
        var nodes: [ValkeyServerProcess] = []
        var busPorts: [Int] = []
        for _ in 0..<3 {
            let busPort = try ValkeyServerProcess.freePort()
            busPorts.append(busPort)
            nodes.append(try ValkeyServerProcess(appendOnly: appendOnly, arguments: [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(busPort),
                "--cluster-node-timeout", "5000",
            ], executable: executable))
        }
        self.nodes = nodes
        self.busPorts = busPorts
    }

    /// `valkey-cluster://` naming every node.
    public var url: String { "valkey-cluster://" + nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    /// Starts the nodes and joins them into one cluster; stops what it started if that fails.
    public func start() async throws {
        do {
            for node in nodes { try await node.start() }
            try await ValkeyJobStore.formCluster(nodes: zip(nodes, busPorts).map { ($0.port, $1) })
        } catch {
            await stop()
            throw error
        }
    }

    /// A group started and joined; when a node cannot start (a port, its cluster bus port
    /// included, taken by another process in the meantime), a fresh group on fresh ports is tried,
    /// up to three in all.
    public static func started(appendOnly: Bool = false, executable: String? = nil) async throws -> ValkeyClusterGroup {
        var failure: (any Error)?
        for _ in 0..<3 {
            let group = try ValkeyClusterGroup(appendOnly: appendOnly, executable: executable)
            do {
                try await group.start()
                return group
            } catch {
                failure = error
            }
        }
        throw failure ?? ChildProcess.LaunchError(description: "the cluster did not start")
    }

    /// The index of the node serving `slot`, as the first node sees it.
    public func owner(of slot: Int) async throws -> Int {
        let port = try await ValkeyJobStore.clusterSlotOwnerPort(url: nodes[0].url, slot: slot)
        guard let index = nodes.firstIndex(where: { $0.port == port }) else {
            throw ChildProcess.LaunchError(description: "no node serves slot \(slot)")
        }
        return index
    }

    /// The cluster node id of node `index`.
    public func id(_ index: Int) async throws -> String {
        try await ValkeyJobStore.clusterNodeID(url: nodes[index].url)
    }

    /// Stops every node by pid and removes their folders.
    public func stop() async {
        for node in nodes {
            await node.stop()
            node.cleanUp()
        }
    }
}
