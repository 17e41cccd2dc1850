import Foundation
import Synchronization

/// A private `valkey-server` child process on a free loopback port, for tests and the simulator.
///
/// It is started and stopped by pid; nothing else on the machine is touched. Data lives in a
/// temporary folder of its own, removed by `cleanUp()`.
public final class ValkeyServerProcess: Sendable {
    /// Why a private server could not run.
    public typealias LaunchError = ChildProcess.LaunchError

    /// The server binary.
    public let executable: String
    /// The loopback port it listens on.
    public let port: Int
    /// Its data folder (append-only file, if on).
    public let directory: URL
    /// Whether the append-only file is on (`appendfsync always`), so a restart loses no write.
    public let appendOnly: Bool
    private let process: ChildProcess

    /// A server that `start()` will launch. Finds the binary in `$VALKEY_SERVER`, `.deps/bin`
    /// below the working directory, or `PATH`.
    public init(appendOnly: Bool = false, executable: String? = nil) throws(LaunchError) {
        guard let binary = executable ?? Self.locate() else {
            throw LaunchError(description: "valkey-server not found: run `make deps` or set VALKEY_SERVER")
        }
        self.executable = binary
        self.appendOnly = appendOnly
        self.port = try Self.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragqueue-valkey-\(UUID().uuidString)")
        self.directory = directory
        self.process = ChildProcess(executable: binary, arguments: [
            "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--daemonize", "no",
            "--dir", directory.path, "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always",
            "--loglevel", "warning", "--logfile", directory.appendingPathComponent("valkey.log").path,
        ])
    }

    /// `valkey://127.0.0.1:<port>`.
    public var url: String { "valkey://127.0.0.1:\(port)" }

    /// The process id while running.
    public var pid: Int32? { process.pid }

    /// Launches the server and returns once it answers `PING` (within `timeout`).
    public func start(timeout: Duration = .seconds(10)) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try process.start()
        try await waitUntilReady(timeout: timeout)
    }

    /// Stops the server with SIGTERM (it writes its append-only file) and waits for it to exit.
    public func stop() async {
        await process.stop(with: SIGTERM)
    }

    /// Kills the server with SIGKILL and waits for it to exit.
    public func kill() async {
        await process.stop(with: SIGKILL)
    }

    /// Removes the data folder. Call after `stop()`.
    public func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func waitUntilReady(timeout: Duration) async throws {
        var configuration = ValkeyConfiguration()
        configuration.endpoint = .tcp(host: "127.0.0.1", port: port)
        configuration.reconnect.maximumWait = timeout
        configuration.poolSize = 1
        let client = ValkeyClient(configuration: configuration)
        defer { client.close() }
        do {
            try await client.send("PING")
        } catch {
            let running = process.isRunning
            throw LaunchError(description: "valkey-server on port \(port) did not start (running: \(running)): \(error)")
        }
    }

    private static func locate() -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["VALKEY_SERVER"], !explicit.isEmpty { candidates.append(explicit) }
        candidates.append(FileManager.default.currentDirectoryPath + "/.deps/bin/valkey-server")
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(folder)/valkey-server")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A port the kernel just handed out for loopback; free unless someone races us for it.
    public static func freePort() throws(LaunchError) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LaunchError(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LaunchError(description: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw LaunchError(description: "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
