import Synchronization

/// The keep-alive and end-of-life timers of the API's open event streams, on one task for the
/// whole process instead of two sleeping tasks per stream. Every `resolution` (100 ms) it signals
/// each stream whose keep-alive or maximum life is due, so both are exact to about that much, and
/// the keep-alives of streams opened at about the same time go out in small groups rather than in
/// one burst a second (10,000 streams: about 70 every 100 ms). The task runs only while some
/// stream is registered.
public final class StreamTimers: Sendable {
    /// What came due for a stream.
    enum Signal: Sendable {
        /// Time for a keep-alive comment (every `keepAlive`).
        case keepAlive
        /// The stream's maximum life passed: nothing more is signalled.
        case expired
    }

    private struct Entry {
        let signal: @Sendable (Signal) -> Void
        var nextKeepAlive: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
    }

    private struct State {
        var next = 0
        var entries: [Int: Entry] = [:]
        var ticking = false
    }

    private let state = Mutex(State())
    /// Time between two keep-alives of a stream.
    let keepAlive: Duration
    /// Time between two looks at the timers.
    let resolution: Duration

    init(keepAlive: Duration, resolution: Duration = .milliseconds(100)) {
        self.keepAlive = keepAlive
        self.resolution = resolution
    }

    /// A registered stream's timers; `cancel()` (or dropping it) stops them.
    final class Registration: Sendable {
        private let timers: StreamTimers
        private let key: Int

        fileprivate init(timers: StreamTimers, key: Int) {
            self.timers = timers
            self.key = key
        }

        func cancel() { timers.remove(key) }
        deinit { cancel() }
    }

    /// Signals `signal` a keep-alive every `keepAlive` and `.expired` once `maximum` has passed.
    /// `signal` is called from the timers' task and must return at once.
    func add(maximum: Duration, _ signal: @escaping @Sendable (Signal) -> Void) -> Registration {
        let now = ContinuousClock.now
        let (key, start) = state.withLock { state in
            state.next += 1
            state.entries[state.next] = Entry(signal: signal, nextKeepAlive: now + keepAlive, deadline: now + maximum)
            defer { state.ticking = true }
            return (state.next, !state.ticking)
        }
        if start { Task { await self.tick() } }
        return Registration(timers: self, key: key)
    }

    /// How many streams are registered.
    var count: Int { state.withLock { $0.entries.count } }

    private func remove(_ key: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: key) }
    }

    /// Signals what is due every `resolution`, until no stream is registered.
    private func tick() async {
        while true {
            try? await Task.sleep(for: resolution)
            let now = ContinuousClock.now
            let due: [(@Sendable (Signal) -> Void, Signal)]? = state.withLock { state in
                guard !state.entries.isEmpty else {
                    state.ticking = false
                    return nil
                }
                var due: [(@Sendable (Signal) -> Void, Signal)] = []
                var expired: [Int] = []
                var kept: [Int] = []
                for (key, entry) in state.entries {
                    if entry.deadline <= now {
                        due.append((entry.signal, .expired))
                        expired.append(key)
                    } else if entry.nextKeepAlive <= now {
                        due.append((entry.signal, .keepAlive))
                        kept.append(key)
                    }
                }
                for key in expired { state.entries[key] = nil }
                for key in kept { state.entries[key]?.nextKeepAlive = now + keepAlive }
                return due
            }
            guard let due else { return }
            for (signal, kind) in due { signal(kind) }
        }
    }
}
