/// The one owner of the queue's key names in Valkey: no other type spells a key.
///
/// Every key starts with `{<prefix>:<queue>}:`. The braces are a hash tag: a Valkey cluster puts
/// all of one queue's keys on one slot, so every script touches a single slot.
public struct QueueKeys: Sendable, Hashable {
    /// The shared start of every key, hash tag included.
    public let base: String

    /// Keys for `queue` under `prefix`. Both must be non-empty and free of braces and white space.
    public init(prefix: String, queue: String) throws(QueueError) {
        for (label, value) in [("prefix", prefix), ("queue name", queue)] {
            guard !value.isEmpty, value.count <= 128,
                  !value.contains(where: { $0 == "{" || $0 == "}" || $0.isWhitespace || $0.isNewline })
            else {
                throw QueueError.invalidConfiguration("\(label) '\(value)' must be 1-128 characters without braces or spaces")
            }
        }
        base = "{\(prefix):\(queue)}:"
    }

    /// ZSET of every queued job id, scored by the time it entered (depth, oldest wait).
    public var waiting: String { base + "waiting" }
    /// ZSET of one tenant's queued job ids, scored by rank (creation time minus priority steps).
    public func ready(_ tenant: String) -> String { base + "ready:" + tenant }
    /// ZSET of tenants with ready jobs and room under their limit, scored by pass (fair share).
    public var tenants: String { base + "tenants" }
    /// SET of tenants with ready jobs at their concurrency limit.
    public var blocked: String { base + "blocked" }
    /// STRING: the pass of the tenant served last, where a tenant coming back starts.
    public var virtualTime: String { base + "vtime" }
    /// HASH of one tenant's scheduling state: `pass`, `running`, `weight`, `limit`.
    public func tenant(_ tenant: String) -> String { base + "tenant:" + tenant }
    /// SET of every tenant the queue has enqueued for.
    public var tenantNames: String { base + "tenant-names" }
    /// HASH of one tenant's usage counters since they began (`JobUsage` names).
    public func usage(_ tenant: String) -> String { base + "usage:" + tenant }
    /// HASH of one tenant's budget in one period: `reserved`, `spent`, `limit`.
    public func budget(_ tenant: String, period: String, unit: String) -> String { base + "budget:" + tenant + ":" + unit + ":" + period }
    /// HASH of one model's per-minute budgets at its provider (`ProviderBucket`), shared by the workers.
    public func provider(_ model: String) -> String { base + "provider:" + model }
    /// HASH of what each holder of one model's leases (a worker's pacer) has in flight:
    /// holder id to `requests,tokens,expires at (ms)`.
    public func providerHolders(_ model: String) -> String { base + "provider-holders:" + model }
    /// STRING: a random id written once, when an API process first meets the queue. A Valkey that
    /// lost its data (restarted without its append-only file, flushed) no longer holds the id the
    /// processes saw, which is how they notice.
    public var identity: String { base + "identity" }
    /// HASH of the backends' circuit breaker (`CircuitPolicy`): `failures`, `since`, `open_until`, `trips`.
    public var circuit: String { base + "circuit" }
    /// HASH: jobs ended per second, exponentially weighted, as a decaying sum per 10-minute epoch (`QueueScripts.endsRate`).
    public var throughput: String { base + "throughput" }
    /// ZSET of running job ids, scored by lease deadline (ms since the epoch).
    public var active: String { base + "active" }
    /// ZSET of job ids waiting for a retry, scored by due time (ms).
    public var scheduled: String { base + "scheduled" }
    /// ZSET of every job id, scored by creation time (ms): the recent jobs' listing and the jobs of
    /// a time range; trimmed by reclaim to the longest record TTL, its expired entries skipped.
    public var recent: String { base + "recent" }
    /// ZSET of failed job ids, scored by end time (ms); trimmed as their records expire.
    public var failed: String { base + "failed" }
    /// ZSET with one member; its presence wakes one idle worker (`BZPOPMIN`).
    public var marker: String { base + "marker" }
    /// Counter behind the fencing tokens.
    public var fence: String { base + "fence" }
    /// HASH of lifetime counters (enqueued, finished, failed, ...).
    public var counters: String { base + "counters" }
    /// ZSET of worker ids, scored by heartbeat deadline (ms).
    public var workers: String { base + "workers" }
    /// HASH of each collection's version, bumped by every ingest: part of every answer-cache key.
    public var collections: String { base + "collections" }
    /// Prefix of cached answers: HASH `result`, `job`, `cost` under `<answer key>:<collection version>`.
    public var answerPrefix: String { base + "answer:" }
    /// STREAM of a semantic scope's answered questions (`answer` reference, packed `vector`),
    /// written by `complete`, capped at `SimilarAnswers.capacity`, living as long as its answers.
    public func similarAnswers(_ scope: String) -> String { base + "semantic:" + scope }
    /// Pub/sub channel announcing job status changes as `<id> <status>`; an end adds the queue wait
    /// and the total in ms (`<id> finished 12 840`; -1 for a job that never started).
    public var events: String { base + "events" }
    /// Prefix of the job records; a job's key is this plus its id.
    public var jobPrefix: String { base + "job:" }
    /// Prefix of idempotency keys.
    public var idempotencyPrefix: String { base + "idem:" }

    /// HASH holding one job's record.
    public func job(_ id: JobID) -> String { jobPrefix + id.rawValue }
    /// STRING holding the id of the job enqueued with this idempotency key (per tenant).
    public func idempotency(_ key: String, tenant: String?) -> String {
        idempotencyPrefix + (tenant ?? "") + ":" + key
    }
    /// SET of the job ids one worker holds (claim adds, every way out of `active` removes).
    public func held(_ worker: String) -> String { base + "held:" + worker }
    /// HASH describing one worker process.
    public func worker(_ id: String) -> String { base + "worker:" + id }
    /// STREAM of one job's answer tokens, for streaming readers.
    public func tokens(_ id: JobID) -> String { base + "tokens:" + id.rawValue }
    /// SET of job ids whose end still has to be delivered to their callback URL.
    public var webhookPending: String { base + "webhooks:pending" }
    /// STRING naming the process that delivers one job's webhook now; expires with its lease.
    public func webhookLease(_ id: JobID) -> String { base + "webhooks:lock:" + id.rawValue }
    /// HASH of one token bucket (`tokens`, `ts`), named by its caller (an API key's digest, ...).
    public func rateLimit(_ bucket: String) -> String { base + "ratelimit:" + bucket }
}
