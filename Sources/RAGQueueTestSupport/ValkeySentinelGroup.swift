import Foundation
import RAGQueue

/// A primary, its replicas and three sentinels, all private `valkey-server` children on loopback:
/// the smallest Sentinel deployment that fails over by itself (quorum 2 of 3). With two replicas,
/// the promoted one still has a replica after a failover, which replica durability needs to go on
/// acknowledging. For tests and the simulator; every process is started and stopped by pid.
public final class ValkeySentinelGroup: Sendable {
    /// The primary's name at the sentinels.
    public let name: String
    /// The data servers, first the one started as primary.
    public let servers: [ValkeyServerProcess]
    /// The sentinels watching them.
    public let sentinels: [ValkeyServerProcess]

    /// A group of a primary and `replicas` replicas, which keep an append-only file when `appendOnly`.
    public init(name: String = "mymaster", replicas: Int = 2, appendOnly: Bool = false, executable: String? = nil) throws {
        self.name = name
        let primary = try ValkeyServerProcess(appendOnly: appendOnly, executable: executable)
        servers = try [primary] + (0..<max(1, replicas)).map { _ in
            try ValkeyServerProcess(appendOnly: appendOnly, arguments: ["--replicaof", "127.0.0.1", String(primary.port)], executable: executable)
        }
        sentinels = try (0..<3).map { _ in try ValkeyServerProcess.sentinel(monitoring: primary.port, name: name) }
    }

    /// `valkey-sentinel://` naming the three sentinels and the primary.
    public var url: String {
        "valkey-sentinel://" + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/" + name
    }

    /// Starts the primary, the replicas and the sentinels; returns once every sentinel names the
    /// primary and sees every replica in sync (so that a failover has somewhere to go, and
    /// `primary()` answers from the first call).
    public func start(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        for server in servers { try await server.start(timeout: timeout) }
        // A sentinel learns the replicas from the primary's INFO, which it asks for when it
        // connects and then every 10 s: started before the replicas are online, it would see
        // them only at the next round (or the one after, under load).
        while await ValkeyJobStore.onlineReplicas(url: servers[0].url) < servers.count - 1 {
            guard ContinuousClock.now < deadline else {
                throw ChildProcess.LaunchError(description: "the replicas were not in sync with the primary within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        for sentinel in sentinels { try await sentinel.start(timeout: timeout) }
        while ContinuousClock.now < deadline {
            var ready = true
            for sentinel in sentinels {
                let named = await ValkeyJobStore.sentinelPrimaryPort(sentinel: sentinel.url, name: name)
                let inSync = await ValkeyJobStore.sentinelReplicasInSync(sentinel: sentinel.url, name: name)
                ready = ready && named == servers[0].port && inSync == servers.count - 1
            }
            if ready { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChildProcess.LaunchError(description: "the sentinels did not name the primary and see the replicas in sync within \(timeout)")
    }

    /// The data server the sentinels name as primary now; nil when none of them answers within
    /// `patience` (a sentinel probe can time out on a loaded machine: they are asked again).
    public func primary(patience: Duration = .seconds(5)) async -> ValkeyServerProcess? {
        let deadline = ContinuousClock.now + patience
        repeat {
            for sentinel in sentinels {
                if let port = await ValkeyJobStore.sentinelPrimaryPort(sentinel: sentinel.url, name: name) {
                    return servers.first { $0.port == port }
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        return nil
    }

    /// Stops every process (SIGTERM) and removes their folders.
    public func stop() async {
        for process in sentinels + servers {
            if let pid = process.pid { kill(pid, SIGCONT) }
            await process.stop()
            process.cleanUp()
        }
    }
}
