import Foundation
import RAGQueue
import Synchronization

/// A private `valkey-server` child process on a free loopback port, for tests and the simulator.
///
/// It is started and stopped by pid; nothing else on the machine is touched. Data lives in a
/// temporary folder of its own, removed by `cleanUp()`.
public final class ValkeyServerProcess: Sendable {
    /// Why a private server could not run.
    public typealias LaunchError = ChildProcess.LaunchError

    private struct State: Sendable {
        var port: Int
        var process: ChildProcess?
        /// Set once a server ran on `port`: a restart must keep it, since clients hold the URL.
        var portInUse = false
    }

    /// The server binary.
    public let executable: String
    /// Its data folder (append-only file, if on).
    public let directory: URL
    /// Whether the append-only file is on (`appendfsync always`), so a restart loses no write.
    public let appendOnly: Bool
    /// More `valkey-server` options (`--replicaof host port`, ...), after the defaults.
    public let arguments: [String]
    /// For a sentinel: the primary it monitors (on loopback) and the name it knows it by.
    public let monitoring: (port: Int, name: String)?
    private let state: Mutex<State>

    /// A server that `start()` will launch. Finds the binary in `$VALKEY_SERVER`, `.deps/bin`
    /// below the working directory, or `PATH`.
    public convenience init(appendOnly: Bool = false, arguments: [String] = [], executable: String? = nil) throws(LaunchError) {
        try self.init(appendOnly: appendOnly, arguments: arguments, executable: executable, monitoring: nil)
    }

    /// A Valkey Sentinel (the same binary, in sentinel mode) watching the primary on loopback `port`
    /// as `name`, with a quorum of 2: it calls the primary down after 1 s of silence.
    public static func sentinel(monitoring port: Int, name: String = "mymaster") throws(LaunchError) -> ValkeyServerProcess {
        try ValkeyServerProcess(appendOnly: false, arguments: [], executable: nil, monitoring: (port, name))
    }

    private init(appendOnly: Bool, arguments: [String], executable: String?, monitoring: (port: Int, name: String)?) throws(LaunchError) {
        guard let binary = executable ?? Self.locate() else {
            throw LaunchError(description: "valkey-server not found: run `make deps` or set VALKEY_SERVER")
        }
        self.executable = binary
        self.appendOnly = appendOnly
        self.arguments = arguments
        self.monitoring = monitoring
        self.state = Mutex(State(port: try Self.freePort()))
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragqueue-valkey-\(UUID().uuidString)")
    }

    /// The loopback port it listens on.
    public var port: Int { state.withLock { $0.port } }

    /// A server that also listens for TLS on a port of its own (`tlsPort`), with `certificates`;
    /// clients need no certificate of their own. Needs a valkey-server built with TLS
    /// (`$VALKEY_SERVER_TLS`, or `valkey-server-tls` in `.deps/bin`, where `make deps` installs it, or `PATH`).
    public static func tls(certificates: TestCertificates) throws(LaunchError) -> (server: ValkeyServerProcess, tlsPort: Int) {
        guard let binary = locate("valkey-server-tls", variable: "VALKEY_SERVER_TLS") else {
            throw LaunchError(description: "no valkey-server with TLS (valkey-server-tls): run `make deps` or set VALKEY_SERVER_TLS")
        }
        let tlsPort = try freePort()
        let server = try ValkeyServerProcess(arguments: [
            "--tls-port", String(tlsPort), "--tls-cert-file", certificates.certificateFile, "--tls-key-file", certificates.keyFile,
            "--tls-ca-cert-file", certificates.caFile, "--tls-auth-clients", "no",
        ], executable: binary)
        return (server, tlsPort)
    }

    /// `valkey://127.0.0.1:<port>`.
    public var url: String { "valkey://127.0.0.1:\(port)" }

    /// The process id while running.
    public var pid: Int32? { state.withLock { $0.process?.pid } }

    /// Launches the server and returns once it answers `PING` (within `timeout`). On its first start,
    /// a port that another process took in the meantime is replaced by a fresh one.
    public func start(timeout: Duration = .seconds(10)) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let deadline = ContinuousClock.now + timeout
        for _ in 0..<5 {
            let port = self.port
            let child = ChildProcess(executable: executable, arguments: try modeArguments() + [
                "--bind", "127.0.0.1", "--port", String(port), "--daemonize", "no", "--dir", directory.path,
                "--loglevel", "warning", "--logfile", directory.appendingPathComponent("valkey.log").path,
            ] + arguments)
            try child.start()
            state.withLock { $0.process = child }
            if try await waitUntilReady(child, port: port, deadline: deadline) {
                state.withLock { $0.portInUse = true }
                return
            }
            // The server exited: most likely its port was taken between choosing and binding.
            let mayMove = state.withLock { $0.portInUse == false }
            guard mayMove else { break }
            let fresh = try Self.freePort()
            state.withLock { $0.port = fresh }
        }
        // The log's last lines: the folder may be gone by the time someone reads the message.
        let log = (try? String(contentsOf: directory.appendingPathComponent("valkey.log"), encoding: .utf8)) ?? ""
        let tail = log.split(separator: "\n").suffix(3).joined(separator: " | ")
        throw LaunchError(description: "valkey-server did not start (\(directory.path)/valkey.log: \(tail))")
    }

    /// Stops the server with SIGTERM (it writes its append-only file) and waits for it to exit.
    public func stop() async {
        await state.withLock { $0.process }?.stop(with: SIGTERM)
    }

    /// Kills the server with SIGKILL and waits for it to exit.
    public func kill() async {
        await state.withLock { $0.process }?.stop(with: SIGKILL)
    }

    /// Removes the data folder. Call after `stop()`.
    public func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A server's persistence options, or a sentinel's configuration file (written on its first
    /// start; the sentinel rewrites it with what it learns, and a restart keeps that).
    private func modeArguments() throws -> [String] {
        guard let monitoring else {
            // A replica that connects is sent its first copy at once, not after Valkey's 5 s wait for others.
            return ["--save", "", "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always", "--repl-diskless-sync-delay", "0"]
        }
        let file = directory.appendingPathComponent("sentinel.conf")
        if !FileManager.default.fileExists(atPath: file.path) {
            let name = monitoring.name
            let lines = [
                "sentinel monitor \(name) 127.0.0.1 \(monitoring.port) 2", "sentinel down-after-milliseconds \(name) 1000",
                "sentinel failover-timeout \(name) 5000", "sentinel parallel-syncs \(name) 1",
            ]
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        }
        return [file.path, "--sentinel"]
    }

    /// Asks the port until our own child answers (true) or exits (false); throws past the deadline.
    /// The answer must name the child's pid: another server that holds the same port (started by
    /// another test process a moment before) would otherwise pass for ours, and stop under us.
    private func waitUntilReady(_ child: ChildProcess, port: Int, deadline: ContinuousClock.Instant) async throws -> Bool {
        while true {
            if !child.isRunning { return false }
            let answering = await ValkeyJobStore.serverProcessID(url: "valkey://127.0.0.1:\(port)")
            if let answering, answering == child.pid { return true }
            guard ContinuousClock.now < deadline else {
                throw LaunchError(description: "valkey-server on port \(port) did not answer as pid \(child.pid.map(String.init) ?? "?")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The binary `name`: from the environment variable `variable`, `.deps/bin` below the working
    /// directory, or `PATH`.
    private static func locate(_ name: String = "valkey-server", variable: String = "VALKEY_SERVER") -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment[variable], !explicit.isEmpty { candidates.append(explicit) }
        candidates.append(FileManager.default.currentDirectoryPath + "/.deps/bin/" + name)
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(folder)/\(name)")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A loopback port that was free a moment ago, chosen at random below Linux's ephemeral range
    /// (32768-60999), so that no outgoing connection can take it as its source port in the meantime.
    /// A port is handed out once per process, so two servers started together here never share one.
    public static func freePort() throws(LaunchError) -> Int {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let candidate = Int.random(in: 20_000..<32_000, using: &generator)
            let fresh = handedOut.withLock { $0.insert(candidate).inserted }
            if fresh, try isFree(candidate) { return candidate }
        }
        throw LaunchError(description: "no free loopback port found between 20000 and 32000")
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// Whether a listening socket could bind `port` on 127.0.0.1 right now.
    public static func isFree(_ port: Int) throws(LaunchError) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LaunchError(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        return LoopbackAddress.with(port: port) { bind(descriptor, $0, $1) } == 0
    }
}
