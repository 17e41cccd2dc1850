import Synchronization

/// Group commit: concurrent callers' entries go out together, one call for all those that arrived
/// while the previous call was in flight.
///
/// A caller that finds no call in flight makes one at once with its own entry, so a lone caller
/// waits no longer than before; callers that arrive meanwhile wait, and when the call returns the
/// first of them makes the next call for all of them (up to `maximumBatch`). No task is started:
/// the leading caller's own task runs each call. The more callers at once, the larger the
/// batches, and the fewer calls per entry.
final class GroupCommit<Entry: Sendable, Success: Sendable, Failure: Error>: Sendable {
    typealias Outcome = Result<Success, Failure>

    /// What wakes a waiting caller: its outcome, or its turn to make the next call.
    private enum Wake: Sendable {
        case done(Outcome)
        case lead
    }

    private struct Waiter: Sendable {
        let entry: Entry
        let continuation: CheckedContinuation<Wake, Never>
    }

    private struct State: Sendable {
        var waiting: [Waiter] = []
        var calling = false
    }

    private let state = Mutex(State())
    /// The most entries one call carries.
    let maximumBatch: Int
    /// The outcome of an entry the call returned none for (a call must return one per entry).
    private let missing: @Sendable () -> Failure

    init(maximumBatch: Int, missing: @escaping @Sendable () -> Failure) {
        self.maximumBatch = max(1, maximumBatch)
        self.missing = missing
    }

    /// Entries waiting for the next call.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// `entry`'s outcome from a call of `call` with it and the entries that waited with it; `call`
    /// returns one outcome per entry, in order. Every caller of one instance passes the same `call`.
    func submit(_ entry: Entry, call: ([Entry]) async -> [Outcome]) async -> Outcome {
        let wake: Wake = await withCheckedContinuation { continuation in
            let leads = state.withLock { state in
                if state.calling {
                    state.waiting.append(Waiter(entry: entry, continuation: continuation))
                    return false
                }
                state.calling = true
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        if case .done(let outcome) = wake { return outcome }
        let others = state.withLock { state in
            let taken = Array(state.waiting.prefix(maximumBatch - 1))
            state.waiting.removeFirst(taken.count)
            return taken
        }
        let outcomes = await call([entry] + others.map(\.entry))
        for (index, waiter) in others.enumerated() {
            waiter.continuation.resume(returning: .done(outcome(outcomes, at: index + 1)))
        }
        // The next call is the first waiter's to make; with nobody waiting, the next caller's.
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.calling = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return outcome(outcomes, at: 0)
    }

    private func outcome(_ outcomes: [Outcome], at index: Int) -> Outcome {
        outcomes.indices.contains(index) ? outcomes[index] : .failure(missing())
    }
}
