import Synchronization

/// Stage durations and usage recorded by a running job.
final class TimingRecorder: Sendable {
    private let stages = Mutex<[String: Double]>([:])
    private let used = Mutex(JobUsage())
    private let cache = Mutex(AnswerCacheWrite())

    func record(stage: String, seconds: Double) {
        stages.withLock { $0[stage, default: 0] += seconds }
    }

    func record(usage: JobUsage) {
        used.withLock { $0 = $0 + usage }
    }

    func record(answerVector vector: [Float]) {
        cache.withLock { $0.vector = vector }
    }

    func record(reused: ReusedAnswer) {
        cache.withLock { $0.reused = reused }
    }

    var snapshot: [String: Double] { stages.withLock { $0 } }
    var usage: JobUsage { used.withLock { $0 } }
    var cacheWrite: AnswerCacheWrite { cache.withLock { $0 } }
}

/// Why a running job has been told to stop, if it has.
final class CancelFlag: Sendable {
    private let value = Mutex<JobInterrupted.Reason?>(nil)

    /// Sets the reason unless one is set already (the first reason wins).
    func set(_ reason: JobInterrupted.Reason) {
        value.withLock { if $0 == nil { $0 = reason } }
    }

    var reason: JobInterrupted.Reason? { value.withLock { $0 } }
}

/// The jobs a worker is running, and a way to wait until that set changes.
final class InFlightJobs: Sendable {
    struct Entry: Sendable {
        let lease: JobLease
        let flag: CancelFlag
        let task: Task<Void, Never>
    }

    private struct State {
        var entries: [JobID: Entry] = [:]
        var waiters: [Int: (limit: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter = 0
        /// The most jobs run at once since the set was last empty.
        var peak = 0
    }

    /// How many jobs at once make a burst whose end returns freed memory to the system.
    static let burst = 256

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.entries.count } }
    var isEmpty: Bool { count == 0 }
    var all: [Entry] { state.withLock { Array($0.entries.values) } }

    /// Starts a job's task and records it in one step, so the task cannot end before it is recorded
    /// (its `remove` waits for the lock held here).
    func start(lease: JobLease, flag: CancelFlag, _ makeTask: () -> Task<Void, Never>) {
        state.withLock { state in
            state.entries[lease.id] = Entry(lease: lease, flag: flag, task: makeTask())
            state.peak = max(state.peak, state.entries.count)
        }
    }

    /// Forgets a job that ended. When the last job of a burst (`burst` or more at once) ends, the
    /// memory its jobs freed goes back to the system (`FreedMemory.release()`).
    func remove(_ id: JobID) {
        let (ready, burstEnded) = state.withLock { state in
            state.entries[id] = nil
            let count = state.entries.count
            let ready = state.waiters.filter { count < $0.value.limit }
            for key in ready.keys { state.waiters[key] = nil }
            let burstEnded = count == 0 && state.peak >= Self.burst
            if count == 0 { state.peak = 0 }
            if burstEnded { state.entries = [:] }  // the table's capacity too
            return (ready.values.map(\.continuation), burstEnded)
        }
        for waiter in ready { waiter.resume() }
        if burstEnded { FreedMemory.release() }
    }

    /// Wakes every waiter, as if a job had ended (shutdown).
    func wakeAll() {
        let waiters = state.withLock { state in
            let waiters = state.waiters.values.map(\.continuation)
            state.waiters = [:]
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when fewer than `limit` jobs run (at once if so already), on `wakeAll()`, or when the
    /// calling task is cancelled.
    func waitForChange(below limit: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.entries.count < limit || Task.isCancelled { return true }
                    state.waiters[id] = (limit, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
