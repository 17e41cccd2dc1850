import Logging
import RAGQueue
import Synchronization

/// Notices that the queue's Valkey lost its data: restarted without its append-only file, or
/// flushed. Accepted jobs are then gone, and their ids read as 404, so this must not pass quietly.
///
/// When the server starts, it reads the queue's identity marker (writing one when the queue is
/// new) and keeps it; each later `check` reads it again. A marker that vanished or changed means
/// the data went away: from then on `check` says so (`/readyz` answers 503, the
/// `ragqueue_valkey_data_lost` gauge is 1) and an error is logged once, until the process restarts,
/// so an operator finds out what was lost before the API serves as if nothing happened.
public final class StoreDataLossWatch: Sendable {
    private struct State {
        var expected: String?
        var lost = false
    }

    private let store: any QueueStore
    private let state = Mutex(State())

    init(store: any QueueStore) {
        self.store = store
    }

    /// Whether the data was lost, reading the marker now (its first reading becomes the one
    /// expected). A store that does not answer is not judged: `/readyz` reports that on its own.
    public func check(logger: Logger) async -> Bool {
        if state.withLock({ $0.lost }) { return true }
        let first = state.withLock { $0.expected == nil }
        let current: String?
        do {
            current = try await store.identity(create: first)
        } catch {
            return false
        }
        return report(current, logger: logger)
    }

    private func report(_ current: String?, logger: Logger) -> Bool {
        let (lost, newlyLost) = state.withLock { state -> (Bool, Bool) in
            guard !state.lost else { return (true, false) }
            guard let expected = state.expected else {
                state.expected = current
                return (false, false)
            }
            if current != expected {
                state.lost = true
                return (true, true)
            }
            return (false, false)
        }
        if newlyLost {
            logger.error(
                "Valkey lost the queue's data: its identity marker is \(current == nil ? "gone" : "different"); jobs accepted before are lost. Run Valkey with appendonly yes (see the README), then restart the API processes"
            )
        }
        return lost
    }
}
