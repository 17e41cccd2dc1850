import Synchronization

/// Many deadlines on one sleeping task: an action runs when its deadline passes, unless it was
/// cancelled first. What a `Task.sleep` per waiter costs (a child task, a timer registered and
/// cancelled, a wake-up of the timer thread) is paid once per earliest deadline instead: waits of
/// one length arrive in deadline order, so the task sleeps until the oldest and rarely starts
/// again. An action runs on the timer's task, after its deadline, never before; keep it short.
public final class DeadlineTimer: Sendable {
    /// One pending action.
    public struct Token: Sendable, Hashable {
        let number: UInt64
    }

    private struct Entry {
        var deadline: ContinuousClock.Instant
        var number: UInt64
    }

    private struct State {
        var next: UInt64 = 0
        /// Deadlines by time, earliest first (a binary heap); a cancelled one stays until it comes up.
        var heap: [Entry] = []
        var actions: [UInt64: @Sendable () -> Void] = [:]
        /// The sleeping task, its number and the deadline it wakes for; nil when nothing is pending.
        var sleeper: Task<Void, Never>?
        var sleeperNumber: UInt64 = 0
        var wakesAt: ContinuousClock.Instant?

        mutating func push(_ entry: Entry) {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].deadline < heap[parent].deadline else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func popFirst() -> Entry? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let first = heap.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
            return first
        }

        /// Drops cancelled deadlines from the top; the earliest pending one, if any.
        mutating func earliest() -> ContinuousClock.Instant? {
            while let first = heap.first, actions[first.number] == nil { _ = popFirst() }
            return heap.first?.deadline
        }
    }

    private let state = Mutex(State())

    /// The process's timer.
    public static let shared = DeadlineTimer()

    /// A timer of its own (tests).
    public init() {}

    /// Runs `action` once `deadline` has passed, unless `cancel` comes first.
    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> Token {
        state.withLock { state in
            state.next += 1
            let number = state.next
            state.actions[number] = action
            state.push(Entry(deadline: deadline, number: number))
            if state.wakesAt.map({ deadline < $0 }) ?? true {
                // Nothing sleeping, or sleeping past this deadline: a new sleeper for the earliest.
                state.sleeper?.cancel()
                state.sleeperNumber += 1
                state.wakesAt = deadline
                let sleeper = state.sleeperNumber
                // Detached: a timer shared by every waiter keeps none of one caller's task-local values.
                state.sleeper = Task.detached { [weak self] in await self?.run(sleeper, until: deadline) }
            }
            return Token(number: number)
        }
    }

    /// Drops the action of `token` if it has not run; a second call does nothing.
    public func cancel(_ token: Token) {
        _ = state.withLock { $0.actions.removeValue(forKey: token.number) }
    }

    /// Actions pending (tests).
    var pending: Int { state.withLock { $0.actions.count } }

    /// The sleeper's loop: sleeps until `first`, runs what is due, and goes on to the next earliest
    /// deadline while there is one. A sleeper replaced (an earlier deadline came) runs what is due
    /// and ends.
    private func run(_ sleeper: UInt64, until first: ContinuousClock.Instant) async {
        var wake = first
        while true {
            try? await Task.sleep(until: wake, tolerance: .milliseconds(1), clock: .continuous)
            let now = ContinuousClock.now
            let (due, next): ([@Sendable () -> Void], ContinuousClock.Instant?) = state.withLock { state in
                var due: [@Sendable () -> Void] = []
                while let top = state.heap.first, top.deadline <= now {
                    _ = state.popFirst()
                    if let action = state.actions.removeValue(forKey: top.number) { due.append(action) }
                }
                guard state.sleeperNumber == sleeper else { return (due, nil) }
                let next = state.earliest()
                state.wakesAt = next
                if next == nil { state.sleeper = nil }
                return (due, next)
            }
            for action in due { action() }
            guard let next else { return }
            wake = next
        }
    }
}
