import Synchronization

/// Where a store delivers one job's events: called on the thread that learned of them, so it
/// must return at once (yield into a stream, resume a waiter).
public struct EventSink: Sendable {
    /// Takes one event of the watched job.
    public let deliver: @Sendable (JobEvent) -> Void
    /// Called once when the store closes: no event follows.
    public let finish: @Sendable () -> Void

    public init(deliver: @escaping @Sendable (JobEvent) -> Void, finish: @escaping @Sendable () -> Void) {
        self.deliver = deliver
        self.finish = finish
    }
}

/// One watch of a job's events (`JobStore.observeEvents`): cancelling it (or dropping it) stops
/// the deliveries. It costs an entry in the store's registry and nothing else: no task, no thread.
public final class EventObservation: Sendable {
    private let onCancel: Mutex<(@Sendable () -> Void)?>

    init(onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = Mutex(onCancel)
    }

    /// Stops the deliveries; a second call does nothing.
    public func cancel() {
        onCancel.withLock { action in
            defer { action = nil }
            return action
        }?()
    }

    deinit { cancel() }
}

/// Who watches which job, for a store to deliver its events to: one per store, whatever tells the
/// store of the events (its own writes, or a pub/sub subscription).
final class JobEventRegistry: Sendable {
    private struct Watchers {
        var next = 0
        var sinks: [JobID: [Int: EventSink]] = [:]
        /// Who hears every job's end (`JobStore.observeEnds`).
        var endSinks: [Int: @Sendable (JobEnd) -> Void] = [:]
    }

    private let watchers = Mutex(Watchers())

    /// Delivers `id`'s events to `sink` until the observation is cancelled or the registry finishes.
    func add(_ sink: EventSink, for id: JobID) -> EventObservation {
        let token = watchers.withLock { watchers in
            watchers.next += 1
            watchers.sinks[id, default: [:]][watchers.next] = sink
            return watchers.next
        }
        return EventObservation { [weak self] in
            self?.watchers.withLock { watchers in
                watchers.sinks[id]?[token] = nil
                if watchers.sinks[id]?.isEmpty == true { watchers.sinks[id] = nil }
            }
        }
    }

    /// Delivers every job's end to `sink` until the observation is cancelled.
    func addEnds(_ sink: @escaping @Sendable (JobEnd) -> Void) -> EventObservation {
        let token = watchers.withLock { watchers in
            watchers.next += 1
            watchers.endSinks[watchers.next] = sink
            return watchers.next
        }
        return EventObservation { [weak self] in
            self?.watchers.withLock { _ = $0.endSinks.removeValue(forKey: token) }
        }
    }

    /// Whether anyone hears the ends (so a store need not work them out otherwise).
    var observesEnds: Bool { watchers.withLock { !$0.endSinks.isEmpty } }

    /// Delivers jobs' ends to whoever hears them, outside the lock.
    func deliverEnds(_ ends: [JobEnd]) {
        guard !ends.isEmpty else { return }
        let sinks = watchers.withLock { Array($0.endSinks.values) }
        for end in ends {
            for sink in sinks { sink(end) }
        }
    }

    /// Delivers each event to the watchers of its job, outside the lock.
    func deliver(_ events: [(JobID, JobEvent)]) {
        guard !events.isEmpty else { return }
        let targets = watchers.withLock { watchers in
            events.map { (watchers.sinks[$0.0].map { Array($0.values) } ?? [], $0.1) }
        }
        for (sinks, event) in targets {
            for sink in sinks { sink.deliver(event) }
        }
    }

    /// Delivers `event` to every watcher of every job.
    func broadcast(_ event: JobEvent) {
        for sink in watchers.withLock({ $0.sinks.values.flatMap(\.values) }) { sink.deliver(event) }
    }

    /// Tells every current watcher that no event follows, and forgets them.
    func finishAll() {
        let all = watchers.withLock { watchers in
            defer { watchers.sinks = [:] }
            return watchers.sinks.values.flatMap(\.values)
        }
        for sink in all { sink.finish() }
    }
}
