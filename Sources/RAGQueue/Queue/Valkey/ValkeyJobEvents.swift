import Synchronization
import Valkey

/// Status changes of jobs, pushed by Valkey pub/sub: a waiter learns that a job ended without polling.
///
/// One subscription per process serves every waiter; it starts with the first waiter. Messages
/// published while the subscription was connecting or reconnecting are lost, so each time it is
/// (again) in place every waiter is told to re-read (`.resync`).
final class ValkeyJobEvents: Sendable {
    private let registry = JobEventRegistry()
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
                onSubscribed: { [weak self] in self?.registry.broadcast(.resync) }
            )
            current = subscriber
            return subscriber
        }
        await fresh?.start()
    }

    /// Ends the subscription and every observation.
    func close() {
        subscriber.withLock { $0 }?.close()
        registry.finishAll()
    }

    /// Delivers `id`'s events to `sink` from now on. The first observation starts the
    /// subscription, in the background.
    func observe(_ id: JobID, _ sink: EventSink) -> EventObservation {
        if subscriber.withLock({ $0 == nil }) { Task { await self.start() } }
        return registry.add(sink, for: id)
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
        registry.deliver([(id, event)])
    }
}
