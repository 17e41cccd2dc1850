import Glibc

/// Starting programs with `posix_spawn`: the one way this project runs another program (a tool it
/// reads the output of, or a server the tests and the simulator start and signal).
///
/// Foundation's `Process.run()` is not used: in a process with hundreds of threads opening and
/// closing descriptors (a worker, the test runner) it crashed now and then inside its own
/// bookkeeping. Here the child gets a clean signal mask (threads of a Swift process block most
/// signals, and a child would inherit that and ignore SIGTERM), standard input from /dev/null,
/// and no descriptor of this process but the standard three.
public enum Spawn {
    /// Why a program could not be started or run.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// One line for a person.
        public let description: String

        public init(_ description: String) {
            self.description = description
        }
    }

    /// Where the child's standard output or error goes.
    public enum Target: Sendable {
        /// Nowhere (/dev/null).
        case discard
        /// Appended to the file at the path, created when missing.
        case file(String)
        /// A descriptor of this process (the write end of a pipe, say).
        case descriptor(Int32)
        /// Standard error only: wherever standard output goes.
        case standardOutput
    }

    /// What a program that ran to its end left: its exit code (128 + signal when killed) and
    /// what it wrote.
    public struct Outcome: Sendable {
        public var exitCode: Int32
        public var output: [UInt8]
        public var errors: [UInt8]
    }

    /// Starts `executable` and returns its pid; the caller reaps it (`waitForExit`).
    /// - Parameter environment: the child's whole environment; nil: this process's.
    public static func start(
        _ executable: String, arguments: [String], environment: [String: String]? = nil, output: Target = .discard,
        errors: Target = .standardOutput
    ) throws(Failure) -> pid_t {
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
        direct(1, to: output, &actions)
        direct(2, to: errors, &actions)
        // Nothing else of this process's: not every library opens its sockets close-on-exec, and a
        // child holding the parent's connections would keep them open (and skew what it measures).
        // It fails only for want of memory, and then the child merely inherits more.
        _ = closeFrom(&actions, 3)

        var pid: pid_t = 0
        let result = withCStrings([executable] + arguments) { argv in
            if let environment {
                withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                    posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
                }
            } else {
                posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
            }
        }
        guard result == 0 else {
            throw Failure("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits until the child `pid` has exited and returns its exit code (128 + signal when
    /// killed). Blocks the calling thread: call it from a thread of its own, never the
    /// cooperative pool.
    public static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Runs `executable` to its end and returns what it wrote (standard error: its first
    /// `errorLimit` bytes). Blocks the calling thread, like `waitForExit`.
    public static func run(_ executable: String, arguments: [String], errorLimit: Int = 64 * 1024) throws(Failure) -> Outcome {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard makePipe(&outputPipe, O_CLOEXEC) == 0 else { throw Failure("cannot make a pipe: \(String(cString: strerror(errno)))") }
        guard makePipe(&errorPipe, O_CLOEXEC) == 0 else {
            let reason = String(cString: strerror(errno))
            close(outputPipe[0])
            close(outputPipe[1])
            throw Failure("cannot make a pipe: \(reason)")
        }
        let pid: pid_t
        do {
            pid = try start(executable, arguments: arguments, output: .descriptor(outputPipe[1]), errors: .descriptor(errorPipe[1]))
        } catch {
            for descriptor in outputPipe + errorPipe { close(descriptor) }
            throw error
        }
        // The child holds the write ends now: ours must go, or the reads below never see the end.
        close(outputPipe[1])
        close(errorPipe[1])
        var output: [UInt8] = []
        var errors: [UInt8] = []
        drain(output: outputPipe[0], into: &output, errors: errorPipe[0], into: &errors, errorLimit: errorLimit)
        close(outputPipe[0])
        close(errorPipe[0])
        return Outcome(exitCode: waitForExit(pid), output: output, errors: errors)
    }

    /// Reads both pipes until both end, so that neither can fill up and stall the child.
    private static func drain(output: Int32, into outputBytes: inout [UInt8], errors: Int32, into errorBytes: inout [UInt8], errorLimit: Int) {
        var open = [output, errors]
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while !open.isEmpty {
            var items = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&items, nfds_t(items.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            for item in items where item.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(item.fd, $0.baseAddress, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard count > 0 else {
                    open.removeAll { $0 == item.fd }
                    continue
                }
                if item.fd == output {
                    outputBytes.append(contentsOf: chunk[..<count])
                } else if errorBytes.count < errorLimit {
                    errorBytes.append(contentsOf: chunk[..<min(count, errorLimit - errorBytes.count)])
                }
            }
        }
    }

    private static func direct(_ descriptor: Int32, to target: Target, _ actions: inout posix_spawn_file_actions_t) {
        switch target {
        case .discard:
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        case .descriptor(let source):
            posix_spawn_file_actions_adddup2(&actions, source, descriptor)
        case .standardOutput:
            posix_spawn_file_actions_adddup2(&actions, 1, descriptor)
        }
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

/// `pipe2(2)`, which glibc declares only under `_GNU_SOURCE`: both ends close-on-exec from the
/// start, so no program another thread starts meanwhile inherits them.
@_silgen_name("pipe2")
private func makePipe(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
