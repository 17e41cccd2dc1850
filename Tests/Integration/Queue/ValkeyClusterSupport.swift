import Foundation
import RAGQueueTestSupport
import Testing
import Valkey

/// Three private `valkey-server` processes in cluster mode, made one cluster here without
/// `valkey-cli`: each takes a third of the slots (`CLUSTER ADDSLOTSRANGE`), the first meets the
/// others, and the cluster is ready once every node says `cluster_state:ok` and knows all three.
struct ValkeyClusterNodes: Sendable {
    let nodes: [ValkeyServerProcess]
    /// Each node's cluster bus port (chosen here, below the ephemeral range, not port + 10000).
    let busPorts: [Int]

    /// `valkey-cluster://` naming every node.
    var url: String { "valkey-cluster://" + nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    /// Starts the nodes and joins them; stops what it started if that fails.
    static func start() async throws -> ValkeyClusterNodes {
        var nodes: [ValkeyServerProcess] = []
        var busPorts: [Int] = []
        for _ in 0..<3 {
            busPorts.append(try ValkeyServerProcess.freePort())
            nodes.append(try ValkeyServerProcess(arguments: [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(busPorts[busPorts.count - 1]),
                "--cluster-node-timeout", "5000",
            ]))
        }
        let cluster = ValkeyClusterNodes(nodes: nodes, busPorts: busPorts)
        do {
            for node in nodes { try await node.start() }
            try await cluster.join()
            return cluster
        } catch {
            await cluster.stop()
            throw error
        }
    }

    /// A client of node `index` alone (not cluster-aware): for arranging slots and reading what a node holds.
    func client(_ index: Int) throws -> ValkeyClient {
        try ValkeyClient(url: nodes[index].url)
    }

    /// The node id of node `index` (`CLUSTER MYID`).
    func id(_ index: Int) async throws -> String {
        let client = try client(index)
        defer { client.close() }
        return try #require(try await client.send("CLUSTER", "MYID").string)
    }

    /// The index of the node serving `slot`, as node 0 sees it.
    func owner(of slot: Int) async throws -> Int {
        let client = try client(0)
        defer { client.close() }
        let ranges = try await client.send("CLUSTER", "SLOTS").array ?? []
        for range in ranges {
            guard let parts = range.array, parts.count >= 3, let first = parts[0].int, let last = parts[1].int,
                  (first...last).contains(Int64(slot)), let port = parts[2].array?[1].int
            else { continue }
            if let index = nodes.firstIndex(where: { $0.port == Int(port) }) { return index }
        }
        throw ChildProcess.LaunchError(description: "no node serves slot \(slot)")
    }

    /// Stops every node by pid and removes their folders.
    func stop() async {
        for node in nodes {
            await node.stop()
            node.cleanUp()
        }
    }

    private func join() async throws {
        let share = ValkeySlot.count / nodes.count
        for (index, _) in nodes.enumerated() {
            let client = try client(index)
            defer { client.close() }
            let last = index == nodes.count - 1 ? ValkeySlot.count - 1 : (index + 1) * share - 1
            _ = try await client.send("CLUSTER", "ADDSLOTSRANGE", index * share, last)
        }
        let first = try client(0)
        defer { first.close() }
        for index in nodes.indices.dropFirst() {
            _ = try await first.send("CLUSTER", "MEET", "127.0.0.1", nodes[index].port, busPorts[index])
        }
        for index in nodes.indices {
            let client = try client(index)
            defer { client.close() }
            try await eventually(timeout: .seconds(30), "cluster node \(index) to see the whole cluster") {
                let info = try await client.send("CLUSTER", "INFO").string ?? ""
                return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:\(nodes.count)")
            }
        }
    }
}
