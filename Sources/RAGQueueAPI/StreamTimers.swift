import RAGQueue
import Synchronization

/// The keep-alive and end-of-life timers of the API's open event streams, on the process's one
/// `DeadlineTimer` instead of two sleeping tasks per stream. Each stream has one deadline at a
/// time (its next keep-alive, or its end of life), rounded up to a multiple of `resolution`
/// (100 ms): both are exact to about that much, and the streams due in the same tenth of a second
/// are signalled on one wake-up (10,000 streams: about 70 every 100 ms), not one each.
public final class StreamTimers: Sendable {
    /// What came due for a stream.
    enum Signal: Sendable {
        /// Time for a keep-alive comment (every `keepAlive`).
        case keepAlive
        /// The stream's maximum life passed: nothing more is signalled.
        case expired
    }

    /// Time between two keep-alives of a stream.
    let keepAlive: Duration
    /// The grain of the deadlines.
    let resolution: Duration
    private let timer: DeadlineTimer
    private let registered = Mutex(0)
    /// Where the grain's multiples are counted from.
    private let origin = ContinuousClock.now

    init(keepAlive: Duration, resolution: Duration = .milliseconds(100), timer: DeadlineTimer = .shared) {
        self.keepAlive = keepAlive
        self.resolution = resolution
        self.timer = timer
    }

    /// A registered stream's timers; `cancel()` (or dropping it) stops them.
    final class Registration: Sendable {
        private struct State {
            var pending: DeadlineTimer.Token?
            var ended = false
        }

        private let timers: StreamTimers
        private let signal: @Sendable (Signal) -> Void
        private let end: ContinuousClock.Instant
        private let state = Mutex(State())

        fileprivate init(timers: StreamTimers, end: ContinuousClock.Instant, signal: @escaping @Sendable (Signal) -> Void) {
            self.timers = timers
            self.end = end
            self.signal = signal
        }

        func cancel() {
            let pending = state.withLock { state in
                defer { state.pending = nil }
                return state.pending
            }
            if let pending { timers.timer.cancel(pending) }
            finish()
        }

        /// Marks the registration ended, counting it out once; whether it was live.
        @discardableResult
        private func finish() -> Bool {
            let live = state.withLock { state in
                defer { state.ended = true }
                return !state.ended
            }
            if live { timers.registered.withLock { $0 -= 1 } }
            return live
        }

        deinit { cancel() }

        /// Sets the next deadline: the keep-alive after `now`, or the end of life if sooner.
        fileprivate func arm(after now: ContinuousClock.Instant) {
            let due = timers.rounded(min(now + timers.keepAlive, end))
            state.withLock { state in
                guard !state.ended else { return }
                state.pending = timers.timer.schedule(at: due) { [weak self] in self?.fire() }
            }
        }

        private func fire() {
            let now = ContinuousClock.now
            guard now >= end else {
                guard state.withLock({ !$0.ended }) else { return }
                signal(.keepAlive)
                arm(after: now)
                return
            }
            guard finish() else { return }
            signal(.expired)
        }
    }

    /// Signals `signal` a keep-alive every `keepAlive` and `.expired` once `maximum` has passed.
    /// `signal` is called from the timer's task and must return at once.
    func add(maximum: Duration, _ signal: @escaping @Sendable (Signal) -> Void) -> Registration {
        let now = ContinuousClock.now
        let registration = Registration(timers: self, end: now + maximum, signal: signal)
        registered.withLock { $0 += 1 }
        registration.arm(after: now)
        return registration
    }

    /// How many streams are registered.
    var count: Int { registered.withLock { $0 } }

    /// `instant` rounded up to the grain.
    private func rounded(_ instant: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let steps = ((instant - origin) / resolution).rounded(.up)
        return origin + resolution * steps
    }
}
