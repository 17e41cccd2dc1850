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
