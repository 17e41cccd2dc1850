import Synchronization

/// Counts the event streams and long-polls each caller holds open in this process, so that one
/// caller cannot hold every socket and task of the API: beyond the limit a new wait is refused
/// (429). A caller is its API key's id, or its address when the API runs without keys.
public final class OpenWaits: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    /// The most one caller may hold.
    public let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot for `caller`; nil when it already holds `limit`. Release the slot when the wait ends.
    func acquire(_ caller: String) -> Slot? {
        let taken = counts.withLock { counts -> Bool in
            guard counts[caller, default: 0] < limit else { return false }
            counts[caller, default: 0] += 1
            return true
        }
        return taken ? Slot(owner: self, caller: caller) : nil
    }

    fileprivate func release(_ caller: String) {
        counts.withLock { counts in
            let left = counts[caller, default: 1] - 1
            counts[caller] = left > 0 ? left : nil
        }
    }

    /// One held wait; `release()` gives it back (once).
    final class Slot: Sendable {
        private let owner: OpenWaits
        private let caller: String
        private let released = Atomic<Bool>(false)

        fileprivate init(owner: OpenWaits, caller: String) {
            self.owner = owner
            self.caller = caller
        }

        func release() {
            if !released.exchange(true, ordering: .relaxed) { owner.release(caller) }
        }

        deinit { release() }
    }
}

extension APIRequestContext {
    /// Who holds open waits: the key's id, else the client's address.
    var waitCaller: String { keyID ?? clientAddress ?? "unknown" }
}
