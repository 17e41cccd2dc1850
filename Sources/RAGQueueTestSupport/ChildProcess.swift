import Foundation
import Synchronization

/// A child process that we started and that we alone signal, by its pid.
///
/// Spawned with `posix_spawn` and a clean signal mask: threads of a Swift process block most
/// signals, and a child spawned from one would inherit that and ignore SIGTERM.
public final class ChildProcess: Sendable {
    /// Why a child could not start.
    public struct LaunchError: Error, CustomStringConvertible {
        /// One line for a person.
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    private struct State: Sendable {
        var pid: pid_t?
        var exitStatus: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// The program's path.
    public let executable: String
    /// Its arguments.
    public let arguments: [String]
    private let state = Mutex(State())

    /// A child that `start()` will launch.
    public init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The pid while the child runs.
    public var pid: Int32? { state.withLock { $0.exitStatus == nil ? $0.pid : nil } }

    /// Whether the child runs.
    public var isRunning: Bool { pid != nil }

    /// Launches the child. Its standard output and error go to `outputPath` (appended), or nowhere.
    public func start(outputPath: String? = nil, environment: [String: String]? = nil) throws(LaunchError) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let output = outputPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process's: not every library opens its sockets close-on-exec, and a
        // child holding the parent's connections would keep them open (and skew what it measures).
        // It fails only for want of memory, and then the child merely inherits more.
        _ = closeFrom(&actions, 3)

        let environmentLines = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings([executable] + arguments) { argv in
            withCStrings(environmentLines) { envp in
                posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            throw LaunchError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        state.withLock { $0 = State(pid: pid) }
        // Reap on a thread of its own: waitpid blocks, and dispatch's shared pools must not be held.
        let reaper = Thread { [self, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            let waiters = state.withLock { state in
                state.exitStatus = code
                let waiters = state.waiters
                state.waiters = []
                return waiters
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
        reaper.stackSize = 64 * 1024
        reaper.start()
    }

    /// Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, ...) without waiting.
    public func send(_ signal: Int32) {
        state.withLock { state in
            // Under the lock, so the pid cannot have been reaped and reused.
            if let pid = state.pid, state.exitStatus == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits until the child has exited; returns its exit code (128 + signal when killed).
    @discardableResult
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code: Int32? = state.withLock { state in
                if let code = state.exitStatus { return code }
                if state.pid == nil { return 0 }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    /// Sends `signal` (default SIGTERM; a stopped child is continued so it can act on it) and waits
    /// for the exit.
    @discardableResult
    public func stop(with signal: Int32 = SIGTERM) async -> Int32 {
        send(signal)
        if signal != SIGKILL { send(SIGCONT) }
        return await waitForExit()
    }

    /// The running program's own path, to start more copies of it.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which its Swift module
/// does not export: the child closes every descriptor from `lowest` up before it runs.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32
