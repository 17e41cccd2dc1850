import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Runs one Hummingbird application in a service group of its own: `start` returns once the port
/// is bound; `stop` shuts down gracefully (requests in flight get `gracePeriod`, then are
/// cancelled) and waits for the end. Both fakes use it.
final class FakeHTTPServerRunner: Sendable {
    /// Why `start` failed.
    struct StartError: Error, CustomStringConvertible {
        /// What went wrong.
        var description: String
    }

    private struct State {
        var task: Task<Void, Never>?
        var group: ServiceGroup?
        var port: Int?
    }

    private let state = Mutex(State())

    /// How long `stop` lets requests in flight finish before cancelling them.
    static let gracePeriod: Duration = .seconds(1)

    /// An idle runner.
    init() {}

    /// The bound port, once started.
    var port: Int? { state.withLock { $0.port } }

    /// Binds `host:port` (0 = any free port), serves `responder`, and returns the bound port.
    func start<Responder: HTTPResponder>(
        host: String,
        port: Int,
        responder: Responder,
        logger: Logger
    ) async throws -> Int where Responder.Context == FakeRequestContext {
        if let bound = self.port { return bound }
        let (events, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), backlog: 1024),
            onServerRunning: { channel in
                continuation.yield(.success(channel.localAddress?.port ?? port))
            },
            logger: logger
        )
        var groupConfiguration = ServiceGroupConfiguration(services: [app], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = Self.gracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task {
            do {
                try await group.run()
                continuation.yield(.failure(StartError(description: "server stopped before it started")))
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        for await event in events {
            switch event {
            case .success(let bound):
                state.withLock {
                    $0.task = task
                    $0.group = group
                    $0.port = bound
                }
                return bound
            case .failure(let error):
                throw error
            }
        }
        throw StartError(description: "server ended without reporting a port")
    }

    /// Stops serving; requests still in flight after the grace period are cancelled. Safe to call twice.
    func stop() async {
        let (task, group) = state.withLock { state -> (Task<Void, Never>?, ServiceGroup?) in
            defer {
                state.task = nil
                state.group = nil
                state.port = nil
            }
            return (state.task, state.group)
        }
        await group?.triggerGracefulShutdown()
        await task?.value
    }
}
