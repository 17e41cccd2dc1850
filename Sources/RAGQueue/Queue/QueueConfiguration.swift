/// How one job queue behaves. Wiring (prefix, name) apart from behaviour (leases, retries, limits).
public struct QueueConfiguration: Sendable, Hashable {
    /// Key prefix shared by every queue of a deployment. Default `ragq`.
    public var prefix: String = "ragq"
    /// The queue's name. Default `default`.
    public var name: String = "default"
    /// How long a claim holds a job before another worker may take it over. Default 15 s.
    public var lease: Duration = .seconds(15)
    /// Attempts before a job fails for good (transient failures and lost leases both count). Default 3.
    public var maxAttempts: Int = 3
    /// How long a worker's heartbeat lasts: a worker silent this long (killed, frozen, cut off) is
    /// dead, and the jobs it holds go back to the queue at the next reclaim, whatever their lease.
    /// Workers beat every third of it. Default 2 s.
    public var heartbeat: Duration = .seconds(2)
    /// Workers that may die holding one job before it fails with `worker_crashed` (a job that kills
    /// its workers); such attempts do not count against `maxAttempts`. Default 3.
    public var maxCrashes: Int = 3
    /// How long finished and canceled jobs stay readable. Default 24 h.
    public var resultTTL: Duration = .seconds(24 * 3600)
    /// How long failed jobs stay readable. Default 7 days.
    public var failureTTL: Duration = .seconds(7 * 24 * 3600)
    /// Jobs waiting or scheduled at most; enqueue beyond it is refused. 0 = no limit. Default 10,000.
    public var maxDepth: Int = 10_000
    /// Backoff between attempts of a transiently failed job.
    public var retry = RetryPolicy()
    /// What one step of priority is worth in waiting time: a job of priority p + 1 goes ahead of
    /// priority p jobs up to this much older, so a low priority is never starved, only delayed by
    /// at most 9 steps. Default 60 s.
    public var priorityStep: Duration = .seconds(60)
    /// When a burst of backend failures stops every worker of the queue (`CircuitPolicy`).
    public var circuit = CircuitPolicy()
    /// What an accepted job has survived when `enqueue` returns (`Durability`; Valkey only). Default `.none`.
    public var durability: Durability = .none
    /// How long `enqueue` waits for `durability`'s confirmation before it reports the job unconfirmed. Default 0.5 s.
    public var durabilityTimeout: Duration = .milliseconds(500)

    public init() {}

    /// The key names this configuration selects.
    public func keys() throws(QueueError) -> QueueKeys {
        try QueueKeys(prefix: prefix, queue: name)
    }

    /// Checks ranges; throws a message naming the setting.
    public func validate() throws(QueueError) {
        _ = try keys()
        guard lease >= .milliseconds(100) else { throw .invalidConfiguration("lease must be at least 100 ms") }
        guard (1...100).contains(maxAttempts) else { throw .invalidConfiguration("max attempts must be 1-100") }
        guard heartbeat >= .milliseconds(300) else { throw .invalidConfiguration("heartbeat must be at least 300 ms") }
        guard (1...100).contains(maxCrashes) else { throw .invalidConfiguration("max crashes must be 1-100") }
        guard resultTTL >= .seconds(1), failureTTL >= .seconds(1) else {
            throw .invalidConfiguration("result and failure TTLs must be at least 1 s")
        }
        guard maxDepth >= 0 else { throw .invalidConfiguration("max depth must not be negative") }
        guard durabilityTimeout >= .milliseconds(10), durabilityTimeout <= .seconds(10) else {
            throw .invalidConfiguration("durability timeout must be 10 ms to 10 s")
        }
        guard priorityStep >= .zero else { throw .invalidConfiguration("priority step must not be negative") }
        guard circuit.threshold >= 1, circuit.window >= .milliseconds(100), circuit.openFor >= .milliseconds(100),
              circuit.maximumOpen >= circuit.openFor
        else { throw .invalidConfiguration("circuit: threshold at least 1, window and open time at least 100 ms, the longest open time at least the first") }
    }
}
