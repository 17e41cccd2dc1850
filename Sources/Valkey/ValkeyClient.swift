import Synchronization

/// A small pool of pipelining connections to one Valkey server, with Lua scripts run by SHA.
///
/// Commands from many tasks share the pool's connections; each connection sends whatever
/// accumulates during a round trip as one pipeline. Blocking commands (`BZPOPMIN`, ...) must not
/// share them: take a `dedicatedConnection(blockingFor:)` for those.
///
/// With `configuration.failFast`, a connection error marks the server down: the pool's commands
/// then fail at once with `connectionFailed` (nothing sent) until a background probe gets an answer.
public final class ValkeyClient: Sendable {
    /// Where the server is and how to talk to it.
    public let configuration: ValkeyConfiguration
    private let connections: [ValkeyConnection]
    private let next = Atomic<UInt>(0)
    private let health: ServerHealth?

    /// A client for the server at `configuration`; connections open on first use.
    public init(configuration: ValkeyConfiguration) {
        self.configuration = configuration
        let health = configuration.failFast.map { ServerHealth(configuration: configuration, interval: $0) }
        self.health = health
        self.connections = (0..<max(1, configuration.poolSize)).map { index in
            ValkeyConnection(configuration: configuration, label: "valkey.pool.\(index)", health: health)
        }
    }

    /// Whether a fail-fast client knows its server to be unreachable right now.
    public var isKnownDown: Bool { health?.isDown ?? false }

    /// A client for the server at `url` (`valkey://`, `redis://` or `unix://`).
    public convenience init(url: String) throws(ValkeyError) {
        self.init(configuration: try ValkeyConfiguration(url: url))
    }

    /// Runs one command; a server error reply is thrown.
    @discardableResult
    public func send(_ command: ValkeyCommand) async throws(ValkeyError) -> ValkeyReply {
        try await connection().send(command)
    }

    /// Runs one command given as its name and arguments.
    @discardableResult
    public func send(_ name: String, _ arguments: any ValkeyArgument...) async throws(ValkeyError) -> ValkeyReply {
        try await connection().send(ValkeyCommand(name, arguments))
    }

    /// Runs commands as one pipeline on one connection; each result stands alone.
    public func pipeline(_ commands: [ValkeyCommand]) async -> [Result<ValkeyReply, ValkeyError>] {
        await connection().send(commands)
    }

    /// Runs a Lua script by `EVALSHA`, loading it with `EVAL` when the server lacks it.
    public func run(_ script: ValkeyScript, keys: [String], arguments: [any ValkeyArgument]) async throws(ValkeyError) -> ValkeyReply {
        try await run(script, keys: keys, arguments: arguments, then: [])[0].get().throwingServerError()
    }

    /// Runs a Lua script as `run` does, followed on the same connection by `confirmation` (`WAIT`,
    /// `WAITAOF`: commands that wait for the connection's own writes); returns both replies, the
    /// confirmation's server error as a reply.
    public func run(
        _ script: ValkeyScript, keys: [String], arguments: [any ValkeyArgument], confirmedBy confirmation: ValkeyCommand
    ) async throws(ValkeyError) -> (reply: ValkeyReply, confirmation: ValkeyReply) {
        let results = await run(script, keys: keys, arguments: arguments, then: [confirmation])
        return (try results[0].get().throwingServerError(), try results[1].get())
    }

    /// The script by `EVALSHA` (by `EVAL` again when the server lacks it), then `following`, on
    /// one connection: the script's result first.
    private func run(
        _ script: ValkeyScript, keys: [String], arguments: [any ValkeyArgument], then following: [ValkeyCommand]
    ) async -> [Result<ValkeyReply, ValkeyError>] {
        let connection = connection()
        let results = await connection.send([script.evalSHA(keys: keys, arguments: arguments)] + following)
        if case .success(.error(let message)) = results[0], message.hasPrefix("NOSCRIPT") {
            return await connection.send([script.eval(keys: keys, arguments: arguments)] + following)
        }
        return results
    }

    /// A connection of its own, for blocking commands that wait up to `blockingFor` on the server.
    /// Its socket timeout is longer than that wait. Close it when done.
    public func dedicatedConnection(blockingFor wait: Duration, label: String = "valkey.blocking") -> ValkeyConnection {
        ValkeyConnection(configuration: configuration, socketTimeout: wait + configuration.commandTimeout, label: label)
    }

    /// Closes every pooled connection; commands after this fail with `ValkeyError.closed`.
    public func close() {
        health?.close()
        for connection in connections { connection.close() }
    }

    private func connection() -> ValkeyConnection {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return connections[Int(index % UInt(connections.count))]
    }
}
