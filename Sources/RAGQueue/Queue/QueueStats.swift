/// A snapshot of the queue.
public struct QueueStats: Sendable, Hashable, Codable {
    /// Jobs waiting for a worker.
    public var waiting: Int
    /// Jobs held by workers.
    public var active: Int
    /// Jobs waiting for a retry.
    public var scheduled: Int
    /// Failed jobs whose records are still kept.
    public var failed: Int
    /// Age of the oldest waiting job, in seconds (0 when none waits).
    public var oldestWaitingSeconds: Double
    /// Workers whose heartbeat is current.
    public var liveWorkers: Int
    /// Active jobs whose lease has run out but that no reclaim has moved yet.
    public var expiredLeases: Int
    /// Tenants with jobs waiting (eligible or at their concurrency limit).
    public var waitingTenants: Int = 0
    /// Jobs ended per second, averaged over the last 30 s or so (exponentially weighted).
    public var endedPerSecond: Double = 0
    /// The most jobs that may wait (queued and scheduled) before submits are refused; 0 for no limit.
    public var maxDepth: Int = 0
    /// Lifetime counters: enqueued, finished, failed, canceled, retried, reclaimed, released, ...
    public var counters: [String: Int]
    /// Lifetime count of jobs that ended `failed`, by their error's code (`backend_error`,
    /// `lease_expired`, ...); they add up to `counters["failed"]`.
    public var failures: [String: Int] = [:]

    /// Names of the counters of failures by reason, in the stores' counters: this plus the code.
    static let failurePrefix = "failed:"

    /// The snapshot, with `allCounters` as the stores keep them: failures by reason
    /// (`failed:<code>`) go to `failures`, the rest to `counters`.
    init(
        waiting: Int, active: Int, scheduled: Int, failed: Int, oldestWaitingSeconds: Double, liveWorkers: Int,
        expiredLeases: Int, waitingTenants: Int, endedPerSecond: Double, maxDepth: Int, allCounters: [String: Int]
    ) {
        self.maxDepth = maxDepth
        self.waiting = waiting
        self.active = active
        self.scheduled = scheduled
        self.failed = failed
        self.oldestWaitingSeconds = oldestWaitingSeconds
        self.liveWorkers = liveWorkers
        self.expiredLeases = expiredLeases
        self.waitingTenants = waitingTenants
        self.endedPerSecond = endedPerSecond
        counters = [:]
        for (name, value) in allCounters {
            if name.hasPrefix(Self.failurePrefix) {
                failures[String(name.dropFirst(Self.failurePrefix.count))] = value
            } else {
                counters[name] = value
            }
        }
    }
}

/// One tenant as the queue sees it now: its line, what runs, its share and what it has used.
public struct TenantStats: Sendable, Hashable {
    /// The tenant (`-` for jobs without one).
    public var tenant: String
    /// Its jobs waiting for a worker.
    public var waiting: Int
    /// Its jobs running now.
    public var running: Int
    /// Its weight, as last configured (1 when never).
    public var weight: Double
    /// Its concurrency limit; nil for none.
    public var maxRunning: Int?
    /// What its jobs have used since the counters began (`JobUsage` names).
    public var usage: JobUsage
}

/// A tenant's budget in one period, as the queue keeps it.
public struct BudgetStatus: Sendable, Hashable {
    /// Reserved by jobs that have not ended, in the budget's unit.
    public var reserved: Int64
    /// Spent by attempts so far.
    public var spent: Int64
    /// The limit in force when it was last reserved against (0 when never).
    public var limit: Int64
}
