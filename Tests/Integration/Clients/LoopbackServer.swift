import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A request context that remembers the client's port, so tests can see connection reuse.
struct LoopbackRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client side's TCP port of the connection that carried the request.
    let remotePort: Int?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remotePort = source.channel.remoteAddress?.port
    }
}

/// Runs a Hummingbird server on 127.0.0.1 with a port the OS picks, for the duration of `body`.
///
/// The server stops by graceful shutdown, never by cancelling its task: cancelling can drop a
/// connection NIO accepted but had not handed over yet, which traps ("Deinited NIOAsyncWriter
/// without calling finish()", apple/swift-nio#2637). Handlers still running after the grace
/// period are cancelled.
func withLoopbackServer<Value: Sendable>(
    _ router: Router<LoopbackRequestContext>,
    _ body: (_ baseURL: String) async throws -> Value
) async throws -> Value {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "loopback-server")
    logger.logLevel = .critical
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        logger: logger
    )
    var configuration = ServiceGroupConfiguration(services: [app], logger: logger)
    configuration.maximumGracefulShutdownDuration = .milliseconds(500)
    let group = ServiceGroup(configuration: configuration)
    let server = Task { try await group.run() }
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await server.result
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else {
        await stop()
        throw LoopbackServerError.didNotStart
    }
    do {
        let value = try await body("http://127.0.0.1:\(port)")
        await stop()
        return value
    } catch {
        await stop()
        throw error
    }
}

enum LoopbackServerError: Error {
    case didNotStart
}

/// Values a handler sends to the test (e.g. "the request arrived"), awaited without sleeping.
final class Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (self.stream, self.continuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Records one occurrence.
    func fire() {
        self.continuation.yield()
    }

    /// Waits for the next occurrence; returns false if the waiting task was cancelled.
    func wait() async -> Bool {
        var iterator = self.stream.makeAsyncIterator()
        return await iterator.next() != nil
    }
}

/// Holds each arriving request until `size` have arrived, then lets that whole burst go; the next
/// arrivals form the next burst.
final class BurstGate: Sendable {
    private struct State {
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let size: Int
    private let state = Mutex(State())

    init(size: Int) {
        self.size = size
    }

    func arrive() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let release = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.waiting.append(continuation)
                guard state.waiting.count == size else { return [] }
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in release { waiter.resume() }
        }
    }
}
