import Synchronization

/// One waiter's watch for a job's end (`JobStore.endWatch(for:)`): subscribed to the job's
/// events when made, before the waiter reads the record, so an end in between is not missed.
/// `next(within:)` returns at the first end or resync since the last one it returned (or since
/// the watch began), or when the time passes. It costs an entry in the store's registry and one
/// in the process's `DeadlineTimer` while it waits: no task, no stream, no timer of its own.
/// Dropping it ends the subscription.
public final class JobEndWatch: Sendable {
    private struct State {
        /// An end or resync came that no `next` has returned yet.
        var signalled = false
        /// The store closed: no event follows.
        var closed = false
        /// The waiting `next`, its number, and its deadline's entry.
        var waiter: CheckedContinuation<Bool, Never>?
        var call: UInt64 = 0
        var deadline: DeadlineTimer.Token?
    }

    private let state = Mutex(State())
    private let observation = Mutex<EventObservation?>(nil)
    private let timer: DeadlineTimer

    /// A watch fed by `subscribe`, which hands the watch's sink to the store.
    init(timer: DeadlineTimer = .shared, subscribe: (EventSink) -> EventObservation) {
        self.timer = timer
        let sink = EventSink(
            deliver: { [weak self] event in
                switch event {
                case .status(let status) where status.isTerminal: self?.signal()
                case .resync: self?.signal()
                default: break
                }
            },
            finish: { [weak self] in self?.finish() }
        )
        let observation = subscribe(sink)
        self.observation.withLock { $0 = observation }
    }

    /// True at the first end or resync since the last `true` (at once if one came already); false
    /// when `timeout` passes first, the store has closed, or the task is cancelled. One caller at
    /// a time.
    public func next(within timeout: Duration) async -> Bool {
        let call = state.withLock { state -> UInt64 in
            state.call += 1
            return state.call
        }
        let deadline = ContinuousClock.now + timeout
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer: Bool? = state.withLock { state in
                    if state.signalled {
                        state.signalled = false
                        return true
                    }
                    if state.closed || Task.isCancelled || timeout <= .zero || state.call != call { return false }
                    state.waiter = continuation
                    state.deadline = timer.schedule(at: deadline) { [weak self] in self?.resume(call, with: false) }
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            resume(call, with: false)
        }
    }

    /// An end or resync: the waiter returns true, or the next one will.
    private func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            takeWaiter(&state)
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// The store closed: the waiter, and every later one, returns false.
    private func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.closed = true
            let waiter = state.waiter
            takeWaiter(&state)
            return waiter
        }
        waiter?.resume(returning: false)
    }

    /// Call `call`'s time passed or its task was cancelled: it returns `answer` if still waiting.
    private func resume(_ call: UInt64, with answer: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.call == call, let waiter = state.waiter else { return nil }
            takeWaiter(&state)
            return waiter
        }
        waiter?.resume(returning: answer)
    }

    /// Clears the waiter and drops its deadline.
    private func takeWaiter(_ state: inout State) {
        state.waiter = nil
        if let deadline = state.deadline { timer.cancel(deadline) }
        state.deadline = nil
    }
}
