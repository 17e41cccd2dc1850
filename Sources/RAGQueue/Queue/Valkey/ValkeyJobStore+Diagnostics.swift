import Valkey

extension ValkeyJobStore {
    /// What the Valkey server has run since it started, for benchmarks: every command (those inside
    /// scripts included), and the calls clients made (script runs and blocking waits).
    public struct ServerCounts: Sendable, Hashable {
        /// `total_commands_processed`.
        public var commands: Int
        /// Calls of `EVALSHA`, `EVAL` and `BZPOPMIN`: round trips that do the queue's work.
        public var calls: Int
    }

    /// The server's command counters now (`INFO stats`, `INFO commandstats`).
    public func serverCounts() async throws(QueueError) -> ServerCounts {
        let stats = try await send(ValkeyCommand("INFO", "stats")).string ?? ""
        let commands = Self.infoField("total_commands_processed", in: stats).flatMap { Int($0) } ?? 0
        let commandStats = try await send(ValkeyCommand("INFO", "commandstats")).string ?? ""
        var calls = 0
        for line in commandStats.split(whereSeparator: \.isNewline) {
            for command in ["cmdstat_evalsha:", "cmdstat_eval:", "cmdstat_bzpopmin:"] where line.hasPrefix(command) {
                let fields = line.dropFirst(command.count).split(separator: ",")
                if let first = fields.first, first.hasPrefix("calls=") { calls += Int(first.dropFirst(6)) ?? 0 }
            }
        }
        return ServerCounts(commands: commands, calls: calls)
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
        return reply?.array.flatMap { $0.count == 2 ? $0[1].string.flatMap { Int($0) } : nil }
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
