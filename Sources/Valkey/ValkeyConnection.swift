import Dispatch
import Glibc
import Synchronization

/// One connection to Valkey, driven by a serial dispatch queue of its own.
///
/// Callers on any task send commands; whatever arrives while a round trip is in flight is sent
/// together in the next one (automatic pipelining). hiredis blocks, so every C call happens on the
/// connection's own queue, never on Swift's cooperative pool. After the server goes away the
/// connection reconnects on demand, with exponential backoff bounded by `reconnect.maximumWait`.
public final class ValkeyConnection: Sendable {
    private struct Pending: Sendable {
        let commands: [[[UInt8]]]
        let continuation: CheckedContinuation<[Result<ValkeyReply, ValkeyError>], Never>
    }

    private struct State: Sendable {
        var pending: [Pending] = []
        var draining = false
        var closed = false
        /// The live socket, so `close()` can wake a blocked read. -1 when disconnected.
        var fileDescriptor: Int32 = -1
    }

    private let configuration: ValkeyConfiguration
    private let socketTimeout: Duration
    private let queue: DispatchQueue
    private let state = Mutex(State())
    /// Touched only on `queue`; the lock makes that provable to the compiler and costs nothing uncontended.
    private let context = Mutex<HiredisContext?>(nil)
    private let health: ServerHealth?

    /// A connection that connects lazily, on its first command.
    /// - Parameter socketTimeout: read/write timeout; blocking commands need one longer than their own.
    public convenience init(configuration: ValkeyConfiguration, socketTimeout: Duration? = nil, label: String = "valkey") {
        self.init(configuration: configuration, socketTimeout: socketTimeout, label: label, health: nil)
    }

    /// A pooled connection whose commands `health` may refuse while the server is known down.
    init(configuration: ValkeyConfiguration, socketTimeout: Duration? = nil, label: String, health: ServerHealth?) {
        self.configuration = configuration
        self.socketTimeout = socketTimeout ?? configuration.commandTimeout
        self.queue = DispatchQueue(label: "ragqueue.\(label)")
        self.health = health
    }

    /// Sends commands as one pipeline and returns a result for each, in order.
    public func send(_ commands: [ValkeyCommand]) async -> [Result<ValkeyReply, ValkeyError>] {
        guard !commands.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let pending = Pending(commands: commands.map(\.arguments), continuation: continuation)
            let action: Bool? = state.withLock { state in
                if state.closed { return nil }
                state.pending.append(pending)
                if state.draining { return false }
                state.draining = true
                return true
            }
            switch action {
            case nil:
                continuation.resume(returning: commands.map { _ in .failure(.closed) })
            case true?:
                queue.async { self.drain() }
            case false?:
                break
            }
        }
    }

    /// Sends one command; a server error reply is thrown.
    @discardableResult
    public func send(_ command: ValkeyCommand) async throws(ValkeyError) -> ValkeyReply {
        let reply = try await send([command])[0].get()
        return try reply.throwingServerError()
    }

    /// Fails queued commands, refuses new ones and wakes a blocked read. Idempotent.
    public func close() {
        let waiting = state.withLock { state in
            state.closed = true
            let waiting = state.draining ? [] : state.pending
            if !state.draining { state.pending = [] }
            // Shut the socket down while holding the lock: the draining queue only drops the context
            // after clearing the descriptor under the same lock, so it cannot have been reused.
            if state.fileDescriptor >= 0 { shutdown(state.fileDescriptor, Int32(SHUT_RDWR)) }
            return waiting
        }
        for pending in waiting {
            pending.continuation.resume(returning: pending.commands.map { _ in .failure(.closed) })
        }
        queue.async { self.dropContext() }
    }

    private func drain() {
        while true {
            let batch: [Pending] = state.withLock { state in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let results = execute(batch.flatMap(\.commands))
            var offset = 0
            for pending in batch {
                let count = pending.commands.count
                pending.continuation.resume(returning: Array(results[offset..<offset + count]))
                offset += count
            }
        }
    }

    private func execute(_ commands: [[[UInt8]]]) -> [Result<ValkeyReply, ValkeyError>] {
        if let refusal = health?.refusal() { return commands.map { _ in .failure(refusal) } }
        // A connection the server closed while it sat idle (a restart) is replaced before anything
        // is sent on it: sent, the commands' outcome would be unknown and could not be retried.
        if context.withLock({ $0?.isClosedByPeer ?? false }) { dropContext() }
        let connected: Result<Void, ValkeyError> = connectIfNeeded()
        if case .failure(let error) = connected {
            if error.isConnectionError { health?.markDown(error) }
            return commands.map { _ in .failure(error) }
        }
        var results = context.withLock { context in
            context?.pipeline(commands) ?? commands.map { _ in .failure(.connectionLost("not connected")) }
        }
        // A cluster slot being migrated: the command goes to the importing node once, after ASKING.
        for index in results.indices {
            if case .success(.error(let message)) = results[index], message.hasPrefix("ASK ") {
                results[index] = redirect(commands[index], asked: message)
            }
        }
        // A primary demoted under us (a failover) refuses writes with READONLY, and a cluster node
        // that no longer serves the slot answers MOVED, having run nothing: the connection is
        // dropped so that the next one asks the sentinels or the cluster again, and the refused
        // commands fail as never sent, safe to retry.
        if results.contains(where: \.isMovedAway) {
            dropContext()
            results = results.map { result in
                guard result.isMovedAway, case .success(.error(let message)) = result else { return result }
                return .failure(.connectionFailed("the server no longer serves this: \(message); not run"))
            }
            return results
        }
        if context.withLock({ $0?.isBroken ?? true }) {
            dropContext()
            if case .failure(let error)? = results.last { health?.markDown(error) }
        }
        return results
    }

    /// `command` sent once to the node an `ASK <slot> <host:port>` reply names, after `ASKING`.
    private func redirect(_ command: [[UInt8]], asked message: String) -> Result<ValkeyReply, ValkeyError> {
        let parts = message.split(separator: " ")
        guard parts.count == 3, let address = try? ValkeyConfiguration.Address(parsing: parts[2], defaultPort: 6379) else {
            return .success(.error(message))
        }
        var target = configuration
        target.endpoint = .tcp(host: address.host, port: address.port)
        do {
            let node = try HiredisContext.connect(target, socketTimeout: socketTimeout)
            return node.pipeline([[Array("ASKING".utf8)], command])[1]
        } catch {
            return .failure(error)
        }
    }

    private func connectIfNeeded() -> Result<Void, ValkeyError> {
        if context.withLock({ $0 != nil }) { return .success(()) }
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.reconnect.maximumWait
        var backoff = configuration.reconnect.initialBackoff
        while true {
            if state.withLock({ $0.closed }) { return .failure(.closed) }
            let connected: Result<Int32, ValkeyError> = context.withLock { context in
                do {
                    let fresh = try HiredisContext.connect(configuration, socketTimeout: socketTimeout)
                    let descriptor = fresh.fileDescriptor
                    context = fresh
                    return .success(descriptor)
                } catch let error as ValkeyError {
                    return .failure(error)
                } catch {
                    return .failure(.connectionFailed("\(error)"))
                }
            }
            switch connected {
            case .success(let descriptor):
                let closed = state.withLock { state in
                    state.fileDescriptor = descriptor
                    return state.closed
                }
                if closed {
                    dropContext()
                    return .failure(.closed)
                }
                return .success(())
            case .failure(let error):
                if clock.now + backoff > deadline { return .failure(error) }
                clock.sleepBlocking(for: backoff)
                backoff = min(backoff * 2, configuration.reconnect.maximumBackoff)
            }
        }
    }

    private func dropContext() {
        state.withLock { $0.fileDescriptor = -1 }
        context.withLock { $0 = nil }
    }
}

extension Result<ValkeyReply, ValkeyError> {
    /// A refusal that means "not here any more", nothing run: a replica's `READONLY` (also when a
    /// script's write call met it) or a cluster node's `MOVED`.
    fileprivate var isMovedAway: Bool {
        guard case .success(.error(let message)) = self else { return false }
        return message.hasPrefix("READONLY") || message.contains("READONLY You can't write") || message.hasPrefix("MOVED ")
    }
}

extension ContinuousClock {
    /// Sleeps the calling thread: only for threads of our own, never the cooperative pool.
    fileprivate func sleepBlocking(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}
