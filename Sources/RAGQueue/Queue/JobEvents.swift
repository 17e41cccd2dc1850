import Synchronization

/// Status changes of jobs, pushed by Valkey pub/sub: a waiter learns that a job ended without polling.
///
/// One subscription per process serves every waiter. Messages published while the subscription
/// was reconnecting are lost, so after a reconnect every waiter is told to re-read (`.resync`).
public final class JobEvents: Sendable {
    /// One status change.
    public enum Event: Sendable, Hashable {
        /// The job moved to this status.
        case status(JobStatus)
        /// A cancel was requested while the job runs.
        case cancelRequested
        /// Events may have been missed: read the job again.
        case resync
    }

    private struct Registry: Sendable {
        var next = 0
        var streams: [JobID: [Int: AsyncStream<Event>.Continuation]] = [:]
    }

    private let registry = Mutex(Registry())
    private let subscriber = Mutex<ValkeySubscriber?>(nil)
    private let configuration: ValkeyConfiguration
    private let channel: String

    /// Events of the queue that `keys` names, on the server that `configuration` names.
    public init(configuration: ValkeyConfiguration, keys: QueueKeys) {
        self.configuration = configuration
        self.channel = keys.events
    }

    /// Subscribes; returns once the subscription is in place (or keeps trying in the background).
    public func start() async {
        let subscriber = ValkeySubscriber(
            configuration: configuration,
            channels: [channel],
            onMessage: { [weak self] _, message in self?.deliver(message) },
            onReconnect: { [weak self] in self?.broadcastResync() }
        )
        self.subscriber.withLock { $0 = subscriber }
        await subscriber.start()
    }

    /// Ends the subscription and every open stream.
    public func close() {
        subscriber.withLock { $0 }?.close()
        let all = registry.withLock { registry in
            let all = registry.streams.values.flatMap(\.values)
            registry.streams = [:]
            return all
        }
        for continuation in all { continuation.finish() }
    }

    /// A stream of `id`'s events from now on; it ends when the task reading it is cancelled.
    public func events(for id: JobID) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(64))
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

    /// Waits until the job has ended or `timeout` passes, and returns its record as it then is
    /// (nil for an unknown or expired id).
    public func waitForEnd(of id: JobID, in store: any JobStore, timeout: Duration) async throws(QueueError) -> JobRecord? {
        let stream = events(for: id)
        // Subscribe first, then read: an end that happens in between is not missed.
        guard var record = try await store.job(id) else { return nil }
        let deadline = ContinuousClock.now + timeout
        while !record.status.isTerminal {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, await Self.firstEnd(of: stream, timeout: remaining) else { break }
            // An end event or a resync: read the record again (after a resync it may still run).
            guard let fresh = try await store.job(id) else { return nil }
            record = fresh
        }
        return record
    }

    private static func firstEnd(of stream: AsyncStream<Event>, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in stream {
                    switch event {
                    case .status(let status) where status.isTerminal: return true
                    case .resync: return true
                    default: continue
                    }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func deliver(_ message: [UInt8]) {
        guard let space = message.firstIndex(of: 32),
              let id = JobID(String(decoding: message[..<space], as: UTF8.self))
        else { return }
        let word = String(decoding: message[(space + 1)...], as: UTF8.self)
        let event: Event
        if word == "cancel" {
            event = .cancelRequested
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
