import Synchronization
import Valkey

/// Status changes of jobs, pushed by Valkey pub/sub: a waiter learns that a job ended without polling.
///
/// One subscription per process serves every waiter; it starts with the first waiter. Messages
/// published while the subscription was connecting or reconnecting are lost, so each time it is
/// (again) in place every waiter is told to re-read (`.resync`).
final class ValkeyJobEvents: Sendable {
    private struct Registry: Sendable {
        var next = 0
        var streams: [JobID: [Int: AsyncStream<JobEvent>.Continuation]] = [:]
    }

    private let registry = Mutex(Registry())
    private let subscriber = Mutex<ValkeySubscriber?>(nil)
    private let configuration: ValkeyConfiguration
    private let channel: String

    /// Events published on `channel` of the server that `configuration` names.
    init(configuration: ValkeyConfiguration, channel: String) {
        self.configuration = configuration
        self.channel = channel
    }

    /// Subscribes unless subscribed already; returns once the subscription is in place (or its first
    /// attempt failed, after which it keeps trying in the background).
    func start() async {
        let fresh: ValkeySubscriber? = subscriber.withLock { current in
            guard current == nil else { return nil }
            let subscriber = ValkeySubscriber(
                configuration: configuration,
                channels: [channel],
                onMessage: { [weak self] _, message in self?.deliver(message) },
                onSubscribed: { [weak self] in self?.broadcastResync() }
            )
            current = subscriber
            return subscriber
        }
        await fresh?.start()
    }

    /// Ends the subscription and every open stream.
    func close() {
        subscriber.withLock { $0 }?.close()
        let all = registry.withLock { registry in
            let all = registry.streams.values.flatMap(\.values)
            registry.streams = [:]
            return all
        }
        for continuation in all { continuation.finish() }
    }

    /// A stream of `id`'s events from now on; it ends when the task reading it is cancelled.
    /// The first stream starts the subscription, in the background.
    func events(for id: JobID) -> AsyncStream<JobEvent> {
        if subscriber.withLock({ $0 == nil }) { Task { await self.start() } }
        let (stream, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let token = registry.withLock { registry in
            registry.next += 1
            registry.streams[id, default: [:]][registry.next] = continuation
            return registry.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.registry.withLock { registry in
                registry.streams[id]?[token] = nil
                if registry.streams[id]?.isEmpty == true { registry.streams[id] = nil }
            }
        }
        return stream
    }

    private func deliver(_ message: [UInt8]) {
        guard let space = message.firstIndex(of: 32),
              let id = JobID(String(decoding: message[..<space], as: UTF8.self))
        else { return }
        let word = String(decoding: message[(space + 1)...], as: UTF8.self)
        let event: JobEvent
        if word == "cancel" {
            event = .cancelRequested
        } else if word == "tokens" {
            event = .tokens
        } else if let status = JobStatus(rawValue: word) {
            event = .status(status)
        } else {
            return
        }
        let targets = registry.withLock { registry in registry.streams[id].map { Array($0.values) } ?? [] }
        for continuation in targets { continuation.yield(event) }
    }

    private func broadcastResync() {
        let all = registry.withLock { registry in registry.streams.values.flatMap(\.values) }
        for continuation in all { continuation.yield(.resync) }
    }
}
