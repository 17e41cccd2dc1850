import Foundation
import RAGQueue
import Synchronization

/// A child process that we started and that we alone signal, by its pid.
///
/// Started by `Spawn` (a clean signal mask, nothing of this process's open), reaped by a thread of its own.
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
        let pid: pid_t
        do {
            pid = try Spawn.start(executable, arguments: arguments, environment: environment, output: outputPath.map { .file($0) } ?? .discard)
        } catch {
            throw LaunchError(description: error.description)
        }
        state.withLock { $0 = State(pid: pid) }
        // Reap on a thread of its own: waitpid blocks, and dispatch's shared pools must not be held.
        let reaper = Thread { [self, pid] in
            let code = Spawn.waitForExit(pid)
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
