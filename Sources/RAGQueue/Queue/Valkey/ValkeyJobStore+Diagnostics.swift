import Valkey

extension ValkeyJobStore {
    /// What the Valkey server has run since it started, for benchmarks: every command (those inside
    /// scripts included), and the calls clients made (script runs and blocking waits).
    public struct ServerCounts: Sendable, Hashable {
        /// `total_commands_processed`.
        public var commands: Int
        /// Calls of `EVALSHA`, `EVAL` and `BZPOPMIN`: round trips that do the queue's work.
        public var calls: Int
        /// Script runs (`EVALSHA`, `EVAL`).
        public var scriptCalls: Int
        /// The server's time in script runs, the commands they ran included, in microseconds.
        public var scriptMicroseconds: Int
    }

    /// The server's command counters now (`INFO stats`, `INFO commandstats`).
    public func serverCounts() async throws(QueueError) -> ServerCounts {
        let stats = try await send(ValkeyCommand("INFO", "stats")).string ?? ""
        let commands = Self.infoField("total_commands_processed", in: stats).flatMap { Int($0) } ?? 0
        let commandStats = try await send(ValkeyCommand("INFO", "commandstats")).string ?? ""
        var counts = ServerCounts(commands: commands, calls: 0, scriptCalls: 0, scriptMicroseconds: 0)
        for line in commandStats.split(whereSeparator: \.isNewline) {
            for command in ["cmdstat_evalsha:", "cmdstat_eval:", "cmdstat_bzpopmin:"] where line.hasPrefix(command) {
                // `calls=N,usec=N,usec_per_call=...`
                let fields = line.dropFirst(command.count).split(separator: ",")
                let calls = fields.first { $0.hasPrefix("calls=") }.flatMap { Int($0.dropFirst(6)) } ?? 0
                counts.calls += calls
                guard command != "cmdstat_bzpopmin:" else { continue }
                counts.scriptCalls += calls
                counts.scriptMicroseconds += fields.first { $0.hasPrefix("usec=") }.flatMap { Int($0.dropFirst(5)) } ?? 0
            }
        }
        return counts
    }

    /// Client connections the Valkey server holds now (`INFO clients`), for benchmarks.
    public func connectedClients() async throws(QueueError) -> Int {
        let info = try await send(ValkeyCommand("INFO", "clients")).string ?? ""
        return Self.infoField("connected_clients", in: info).flatMap { Int($0) } ?? 0
    }
}

extension ValkeyJobStore {
    /// The port of the primary that the sentinel at `sentinel` (`valkey://host:port`) names for
    /// `name`, or nil when it does not answer within `timeout`: how a launcher follows a failover.
    public static func sentinelPrimaryPort(sentinel: String, name: String, timeout: Duration = .milliseconds(500)) async -> Int? {
        let reply = try? await probe(url: sentinel, timeout: timeout, ValkeyCommand("SENTINEL", "get-master-addr-by-name", name))
        return reply.flatMap { ValkeyConfiguration.Address(sentinelReply: $0)?.port }
    }

    /// How many replicas the server at `url` feeds with the initial copy done (`INFO replication`:
    /// `slaveN:...,state=online`), 0 when it does not answer within `timeout`.
    public static func onlineReplicas(url: String, timeout: Duration = .milliseconds(500)) async -> Int {
        let info = (try? await probe(url: url, timeout: timeout, ValkeyCommand("INFO", "replication")).string) ?? ""
        return info.split(whereSeparator: \.isNewline).count { $0.hasPrefix("slave") && $0.contains("state=online") }
    }

    /// How many replicas of `name` the sentinel at `sentinel` sees with a working link to their
    /// primary (`SENTINEL REPLICAS`): a failover has somewhere to go once this is at least 1.
    public static func sentinelReplicasInSync(sentinel: String, name: String, timeout: Duration = .milliseconds(500)) async -> Int {
        guard let replicas = try? await probe(url: sentinel, timeout: timeout, ValkeyCommand("SENTINEL", "REPLICAS", name)).array else { return 0 }
        return replicas.count { replica in
            let fields = replica.array?.compactMap(\.string) ?? []
            let pairs = Dictionary(stride(from: 0, to: fields.count - 1, by: 2).map { (fields[$0], fields[$0 + 1]) }) { first, _ in first }
            return pairs["master-link-status"] == "ok" && !(pairs["flags"] ?? "").contains("down")
        }
    }
}

extension ValkeyJobStore {
    /// Makes one Valkey Cluster of the empty cluster-mode servers at `nodes` (loopback ports and
    /// their cluster bus ports) without `valkey-cli`: each takes an equal share of the slots, the
    /// first meets the others, and it returns once every node says `cluster_state:ok` and knows
    /// them all, or throws after `timeout`. For launchers of private clusters (tests, ragsim).
    public static func formCluster(nodes: [(port: Int, busPort: Int)], timeout: Duration = .seconds(30)) async throws(QueueError) {
        guard !nodes.isEmpty else { throw .invalidConfiguration("a cluster needs at least one node") }
        let share = ValkeySlot.count / nodes.count
        for (index, node) in nodes.enumerated() {
            let last = index == nodes.count - 1 ? ValkeySlot.count - 1 : (index + 1) * share - 1
            _ = try await probe(url: "valkey://127.0.0.1:\(node.port)", timeout: .seconds(2), ValkeyCommand("CLUSTER", "ADDSLOTSRANGE", index * share, last))
        }
        for node in nodes.dropFirst() {
            _ = try await probe(
                url: "valkey://127.0.0.1:\(nodes[0].port)", timeout: .seconds(2), ValkeyCommand("CLUSTER", "MEET", "127.0.0.1", node.port, node.busPort)
            )
        }
        let deadline = ContinuousClock.now + timeout
        for node in nodes {
            while true {
                let info = (try? await probe(url: "valkey://127.0.0.1:\(node.port)", timeout: .seconds(2), ValkeyCommand("CLUSTER", "INFO")).string) ?? ""
                if info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:\(nodes.count)") { break }
                guard ContinuousClock.now < deadline else {
                    throw .backendUnavailable("the cluster on port \(node.port) was not whole within \(timeout)")
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// The port of the node serving `slot`, as the cluster node at `url` sees it (`CLUSTER SLOTS`).
    public static func clusterSlotOwnerPort(url: String, slot: Int) async throws(QueueError) -> Int? {
        ValkeySlot.owner(of: slot, in: try await probe(url: url, timeout: .seconds(2), ValkeyCommand("CLUSTER", "SLOTS")))?.port
    }

    /// The cluster node id of the node at `url` (`CLUSTER MYID`).
    public static func clusterNodeID(url: String) async throws(QueueError) -> String {
        guard let id = try await probe(url: url, timeout: .seconds(2), ValkeyCommand("CLUSTER", "MYID")).string else {
            throw .corruptRecord("CLUSTER MYID gave no id")
        }
        return id
    }

    /// The slot of the queue that `configuration` names: every key of the queue is in it.
    public static func slot(of configuration: QueueConfiguration) throws(QueueError) -> Int {
        ValkeySlot.of(try configuration.keys().base)
    }
}
