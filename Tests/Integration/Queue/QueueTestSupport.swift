import Foundation
import Logging
import Synchronization
import Testing
import Valkey
@testable import RAGQueue
import RAGQueueTestSupport

/// A clock the test moves by hand, so leases and retries expire without waiting.
final class ManualClock: WallClock {
    private let now = Mutex<Int64>(Date().epochMilliseconds)

    func nowMilliseconds() -> Int64 { now.withLock { $0 } }

    func advance(by duration: Duration) {
        now.withLock { $0 += duration.milliseconds }
    }
}

/// A private Valkey and a store with a key prefix of its own, torn down after the body. `client`
/// reads what the queue keeps behind its types (expiries, raw keys): for the queue's own tests only.
struct QueueHarness: Sendable {
    let server: ValkeyServerProcess
    /// The URL the store uses: the server's, or its TLS port's (`rediss://`).
    let url: String
    let client: ValkeyClient
    let store: ValkeyJobStore
    let clock: ManualClock?
    let configuration: QueueConfiguration

    /// Another store on the same queue with connections of its own; close it when done.
    func secondStore(clock: (any WallClock)? = nil) throws -> ValkeyJobStore {
        try ValkeyJobStore(url: url, configuration: configuration, clock: clock ?? self.clock ?? SystemWallClock())
    }
}

/// Runs `body` against a Valkey server of its own (started on a free loopback port and stopped by pid).
/// With `tls`, the store and `client` reach it over TLS (`rediss://`, certificates made for the test).
/// A missing or broken `valkey-server` fails the test; it never skips.
func withQueue<T>(
    manualClock: Bool = false,
    appendOnly: Bool = false,
    tls: Bool = false,
    cluster: Bool = false,
    configure: (inout QueueConfiguration) -> Void = { _ in },
    _ body: (QueueHarness) async throws -> T
) async throws -> T {
    if cluster {
        let nodes = try await ValkeyClusterGroup.started()
        do {
            let result = try await withStore(url: nodes.url, server: nodes.nodes[0], manualClock: manualClock, configure: configure, body)
            await nodes.stop()
            return result
        } catch {
            await nodes.stop()
            throw error
        }
    }
    let certificates = tls ? try await TestCertificates.make() : nil
    defer { certificates?.cleanUp() }
    let server: ValkeyServerProcess
    var tlsURL: String?
    if let certificates {
        let (tlsServer, tlsPort) = try ValkeyServerProcess.tls(certificates: certificates)
        server = tlsServer
        tlsURL = certificates.url(tlsPort: tlsPort)
    } else {
        server = try ValkeyServerProcess(appendOnly: appendOnly)
    }
    try await server.start()
    // Read after the start: a port another process took in the meantime is replaced then.
    let url = tlsURL ?? server.url
    do {
        let result = try await withStore(url: url, server: server, manualClock: manualClock, configure: configure, body)
        await server.stop()
        server.cleanUp()
        return result
    } catch {
        await server.stop()
        server.cleanUp()
        throw error
    }
}

/// One plain Valkey, one reached over TLS and one 3-node cluster for a whole suite, stopped by
/// pid after it: the suites that run the queue's contract on every `StoreKind` give each case a
/// prefix of its own on them, as a deployment's queues share a server, instead of starting
/// servers (and forming clusters) by the hundred at once.
struct SharedValkeyServers: SuiteTrait, TestScoping {
    /// The servers of the suite running now, if it asked for them.
    @TaskLocal static var current: Servers?

    struct Servers: Sendable {
        let plain: ValkeyServerProcess
        let tls: ValkeyServerProcess
        let tlsURL: String
        let cluster: ValkeyClusterGroup

        /// The URL and the (first) server of `kind`.
        func server(for kind: StoreKind) -> (String, ValkeyServerProcess) {
            switch kind {
            case .valkeyTLS: (tlsURL, tls)
            case .valkeyCluster: (cluster.url, cluster.nodes[0])
            case .valkey, .memory: (plain.url, plain)
            }
        }
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.cleanUp() }
        let plain = try ValkeyServerProcess()
        let (tls, tlsPort) = try ValkeyServerProcess.tls(certificates: certificates)
        var started: [ValkeyServerProcess] = []
        var cluster: ValkeyClusterGroup?
        do {
            for server in [plain, tls] {
                try await server.start()
                started.append(server)
            }
            cluster = try await ValkeyClusterGroup.started()
            let servers = Servers(
                plain: plain, tls: tls, tlsURL: certificates.url(tlsPort: tlsPort), cluster: try #require(cluster)
            )
            try await Self.$current.withValue(servers) { try await function() }
        } catch {
            await Self.stop(started, cluster)
            throw error
        }
        await Self.stop(started, cluster)
    }

    private static func stop(_ servers: [ValkeyServerProcess], _ cluster: ValkeyClusterGroup?) async {
        for server in servers {
            await server.stop()
            server.cleanUp()
        }
        await cluster?.stop()
    }
}

extension Trait where Self == SharedValkeyServers {
    /// Valkey servers of every kind, shared by the suite's cases (`SharedValkeyServers`).
    static var sharedValkeyServers: Self { .init() }
}

/// Runs `body` with a store (prefix of its own) on the running Valkey at `url`.
private func withStore<T>(
    url: String, server: ValkeyServerProcess, manualClock: Bool, configure: (inout QueueConfiguration) -> Void,
    _ body: (QueueHarness) async throws -> T
) async throws -> T {
    var configuration = QueueConfiguration()
    configuration.prefix = "test-\(JobID().rawValue.prefix(8))"
    configure(&configuration)
    let clock = manualClock ? ManualClock() : nil
    var valkey = try ValkeyConfiguration(url: url)
    valkey.routingKey = try configuration.keys().base
    let client = ValkeyClient(configuration: valkey)
    let harness = QueueHarness(
        server: server, url: url, client: client,
        store: try ValkeyJobStore(client: client, configuration: configuration, clock: clock ?? SystemWallClock()),
        clock: clock, configuration: configuration
    )
    defer { harness.store.close() }
    return try await body(harness)
}

/// The stores that implement the queue's contract: suites that take it as an argument run against each.
enum StoreKind: String, CaseIterable, Sendable {
    /// `ValkeyJobStore` on a private Valkey.
    case valkey
    /// `InMemoryJobStore`.
    case memory
    /// `ValkeyJobStore` on a private Valkey reached over TLS (`rediss://`).
    case valkeyTLS
    /// `ValkeyJobStore` on a private 3-primary Valkey Cluster (`valkey-cluster://`).
    case valkeyCluster
}

/// A store of either kind with its clock and configuration.
struct StoreHarness: Sendable {
    let store: any QueueStore
    let clock: ManualClock?
    let configuration: QueueConfiguration

    /// Moves the manual clock on by `duration` the way time passes for a running queue: in steps
    /// of a third of a heartbeat, each followed by a reclaim as live workers make, so the time is not
    /// taken for an outage. `live` workers heartbeat before each step. Returns the reclaims' reports
    /// added up.
    @discardableResult
    func passTime(_ duration: Duration, live: [String] = []) async throws -> ReclaimReport {
        let clock = try #require(clock, "passTime needs a manual clock")
        var total = ReclaimReport(requeued: 0, failed: 0, canceled: 0, promoted: 0)
        var left = duration
        while left > .zero {
            for worker in live {
                try await store.heartbeat(
                    WorkerInfo(id: worker, host: "test", pid: 0, concurrency: 1, kinds: [], startedAtMilliseconds: 0), ttl: configuration.heartbeat
                )
            }
            let step = min(left, configuration.heartbeat / 3)
            clock.advance(by: step)
            left -= step
            let report = try await store.reclaimExpired()
            total.requeued += report.requeued
            total.failed += report.failed
            total.canceled += report.canceled
            total.promoted += report.promoted
            total.crashed += report.crashed
        }
        return total
    }
}

/// Runs `body` against a fresh store of `kind`, as `withQueue` does for Valkey.
func withStore<T>(
    _ kind: StoreKind,
    manualClock: Bool = false,
    configure: (inout QueueConfiguration) -> Void = { _ in },
    _ body: (StoreHarness) async throws -> T
) async throws -> T {
    switch kind {
    case .valkey, .valkeyTLS, .valkeyCluster:
        if let shared = SharedValkeyServers.current {
            let (url, server) = shared.server(for: kind)
            return try await withStore(url: url, server: server, manualClock: manualClock, configure: configure) { harness in
                try await body(StoreHarness(store: harness.store, clock: harness.clock, configuration: harness.configuration))
            }
        }
        return try await withQueue(manualClock: manualClock, tls: kind == .valkeyTLS, cluster: kind == .valkeyCluster, configure: configure) { harness in
            try await body(StoreHarness(store: harness.store, clock: harness.clock, configuration: harness.configuration))
        }
    case .memory:
        var configuration = QueueConfiguration()
        configure(&configuration)
        let clock = manualClock ? ManualClock() : nil
        let store = try InMemoryJobStore(configuration: configuration, clock: clock ?? SystemWallClock())
        defer { store.close() }
        return try await body(StoreHarness(store: store, clock: clock, configuration: configuration))
    }
}

/// Waits for `condition`, checking every 20 ms, failing after `timeout`.
func eventually(timeout: Duration = .seconds(10), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// `body`'s result, or a recorded issue and a thrown error when it takes longer than `timeout`
/// (a wait on events that never come then fails instead of hanging).
func within<T: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            Issue.record("timed out after \(timeout) waiting for \(what)")
            throw CancellationError()
        }
        return value
    }
}

/// Waits until the job ends, pushed by the queue's events (no polling), within `timeout`.
func waitForEnd(_ id: JobID, harness: QueueHarness, timeout: Duration = .seconds(20)) async throws -> JobRecord {
    try await waitForEnd(id, store: harness.store, timeout: timeout)
}

/// Waits until the job ends in `store`, pushed by its events (no polling), within `timeout`.
func waitForEnd(_ id: JobID, store: any JobStore, timeout: Duration = .seconds(20)) async throws -> JobRecord {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        let record = try await store.waitForEnd(of: id, timeout: deadline - ContinuousClock.now)
        guard let record else { throw QueueError.notFound(id) }
        if record.status.isTerminal { return record }
    }
    Issue.record("job \(id) did not end within \(timeout)")
    throw CancellationError()
}

/// A logger that prints warnings and above, for workers under test.
func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

/// Runs the built product `name` with `arguments` to its end: its exit code and everything it
/// printed (standard output and error, through a log file removed afterwards).
func runProduct(_ name: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (code: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(JobID().rawValue.prefix(6)).log").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    let child = ChildProcess(executable: builtProduct(name), arguments: arguments)
    try child.start(outputPath: log, environment: environment)
    let code = await child.waitForExit()
    return (code, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// Path of a product built next to the test bundle (`ragsim`, `ragserve`).
func builtProduct(_ name: String) -> String {
    if let directory = ProcessInfo.processInfo.environment["RAGQUEUE_BIN_DIR"] {
        return directory + "/" + name
    }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathComponents.count > 1 {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return FileManager.default.currentDirectoryPath + "/.build/debug/" + name
}
