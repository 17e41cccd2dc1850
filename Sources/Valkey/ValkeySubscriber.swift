import Dispatch
import Glibc
import Synchronization

/// A pub/sub subscription on a connection and a thread of its own.
///
/// It reconnects and resubscribes by itself after the server goes away. It calls `onSubscribed` each
/// time the subscription is in place, the first time too, because messages published before that
/// are lost: listeners re-read whatever they wait for.
public final class ValkeySubscriber: Sendable {
    /// A message received on a subscribed channel.
    public typealias Handler = @Sendable (_ channel: String, _ message: [UInt8]) -> Void

    private struct State: Sendable {
        var closed = false
        var fileDescriptor: Int32 = -1
    }

    private let configuration: ValkeyConfiguration
    private let channels: [String]
    private let onMessage: Handler
    private let onSubscribed: @Sendable () -> Void
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "ragqueue.valkey.subscriber")

    /// A subscriber to `channels`; nothing happens before `start()`.
    public init(
        configuration: ValkeyConfiguration,
        channels: [String],
        onMessage: @escaping Handler,
        onSubscribed: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.channels = channels
        self.onMessage = onMessage
        self.onSubscribed = onSubscribed
    }

    /// Subscribes and returns once the subscription is in place (or the first attempt failed, in
    /// which case it keeps trying in the background).
    public func start() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { self.run(started: continuation) }
        }
    }

    /// Stops the subscription and wakes its thread. Idempotent.
    public func close() {
        state.withLock { state in
            state.closed = true
            if state.fileDescriptor >= 0 { shutdown(state.fileDescriptor, Int32(SHUT_RDWR)) }
        }
    }

    private func run(started: CheckedContinuation<Void, Never>) {
        var started: CheckedContinuation<Void, Never>? = started
        var backoff = configuration.reconnect.initialBackoff
        while !state.withLock({ $0.closed }) {
            let connection: HiredisContext
            do {
                connection = try HiredisContext.connect(configuration, socketTimeout: .zero)
                let subscribe = ValkeyCommand("SUBSCRIBE", channels.map { $0 as any ValkeyArgument })
                let replies = connection.pipeline([subscribe.arguments])
                guard case .success = replies[0] else { throw ValkeyError.connectionLost("subscribe failed") }
                // SUBSCRIBE answers once per channel; the first reply came with the pipeline.
                for _ in 1..<channels.count {
                    if case .failure(let error) = connection.readReply() { throw error }
                }
            } catch {
                started?.resume()
                started = nil
                pause(&backoff)
                continue
            }
            let descriptor = connection.fileDescriptor
            let closed = state.withLock { state in
                state.fileDescriptor = descriptor
                return state.closed
            }
            if closed { break }
            backoff = configuration.reconnect.initialBackoff
            started?.resume()
            started = nil
            onSubscribed()
            receive(on: connection)
            state.withLock { $0.fileDescriptor = -1 }
        }
        started?.resume()
    }

    private func receive(on connection: HiredisContext) {
        while true {
            guard case .success(let reply) = connection.readReply() else { return }
            guard case .array(let parts) = reply, parts.count == 3, parts[0].string == "message",
                  let channel = parts[1].string, case .bulk(let payload) = parts[2]
            else { continue }
            onMessage(channel, payload)
        }
    }

    private func pause(_ backoff: inout Duration) {
        let (seconds, attoseconds) = backoff.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
        backoff = min(backoff * 2, configuration.reconnect.maximumBackoff)
    }
}
