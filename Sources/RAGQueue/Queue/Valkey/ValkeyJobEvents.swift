import Synchronization
import Valkey

/// Status changes of jobs, pushed by Valkey pub/sub: a waiter learns that a job ended without polling.
///
/// One subscription per process serves every waiter; it starts with the first waiter. Messages
/// published while the subscription was connecting or reconnecting are lost, so each time it is
/// (again) in place every waiter is told to re-read (`.resync`).
final class ValkeyJobEvents: Sendable {
    private let registry = JobEventRegistry()
    /// The subscription and the one task that starts it, whoever asked first.
    private let subscription = Mutex<(subscriber: ValkeySubscriber, started: Task<Void, Never>)?>(nil)
    private let configuration: ValkeyConfiguration
    private let channel: String

    /// Events published on `channel` of the server that `configuration` names.
    init(configuration: ValkeyConfiguration, channel: String) {
        self.configuration = configuration
        self.channel = channel
    }

    /// Subscribes unless subscribed already; returns once the subscription is in place (or its first
    /// attempt failed, after which it keeps trying in the background), whoever started it: an
    /// observation's background start and this call wait for the same thing.
    func start() async {
        await startOnce().value
    }

    /// The task that starts the subscription, made by the first caller.
    private func startOnce() -> Task<Void, Never> {
        subscription.withLock { current in
            if let current { return current.started }
            let subscriber = ValkeySubscriber(
                configuration: configuration,
                channels: [channel],
                onMessage: { [weak self] _, message in self?.deliver(message) },
                onSubscribed: { [weak self] in self?.registry.broadcast(.resync) }
            )
            let started = Task { await subscriber.start() }
            current = (subscriber, started)
            return started
        }
    }

    /// Ends the subscription and every observation.
    func close() {
        subscription.withLock { $0?.subscriber }?.close()
        registry.finishAll()
    }

    /// Delivers `id`'s events to `sink` from now on. The first observation starts the
    /// subscription, in the background.
    func observe(_ id: JobID, _ sink: EventSink) -> EventObservation {
        startInBackground()
        return registry.add(sink, for: id)
    }

    /// Delivers every job's end to `sink`. The first observation starts the subscription, in the background.
    func observeEnds(_ sink: @escaping @Sendable (JobEnd) -> Void) -> EventObservation {
        startInBackground()
        return registry.addEnds(sink)
    }

    /// Starts the subscription in the background unless it is started.
    private func startInBackground() {
        _ = startOnce()
    }

    /// A message is one event a line (a script that starts or ends many jobs publishes them in one
    /// message): `<id> <word>`; an end is `<id> <status> <queue wait ms, -1 if it never started> <total ms>`.
    private func deliver(_ message: [UInt8]) {
        var events: [(JobID, JobEvent)] = []
        var ends: [JobEnd] = []
        for line in message.split(separator: 10) {
            guard let (id, event, end) = Self.event(from: line) else { continue }
            events.append((id, event))
            if let end { ends.append(end) }
        }
        if !ends.isEmpty { registry.deliverEnds(ends) }
        if !events.isEmpty { registry.deliver(events) }
    }

    /// The event of one line of a message, and the end it announces when it is one; nil for a line
    /// this version does not know.
    static func event(from line: ArraySlice<UInt8>) -> (JobID, JobEvent, JobEnd?)? {
        let words = line.split(separator: 32).map { String(decoding: $0, as: UTF8.self) }
        guard words.count >= 2, let id = JobID(words[0]) else { return nil }
        switch words[1] {
        case "cancel":
            return (id, .cancelRequested, nil)
        case "tokens":
            return (id, .tokens, nil)
        default:
            guard let status = JobStatus(rawValue: words[1]) else { return nil }
            guard status.isTerminal, words.count == 4, let wait = Int64(words[2]), let total = Int64(words[3]) else {
                return (id, .status(status), nil)
            }
            let end = JobEnd(id: id, status: status, queueWait: wait >= 0 ? .milliseconds(wait) : nil, total: .milliseconds(max(0, total)))
            return (id, .status(status), end)
        }
    }
}
