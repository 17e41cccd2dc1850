import Hummingbird
import Logging
import NIOCore

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
/// Cancelling the server at the end also cancels handlers still running.
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
    let server = Task { try await app.run() }
    defer { server.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else {
        throw LoopbackServerError.didNotStart
    }
    let value = try await body("http://127.0.0.1:\(port)")
    server.cancel()
    _ = await server.result
    return value
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
