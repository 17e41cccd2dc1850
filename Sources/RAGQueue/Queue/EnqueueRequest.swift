/// What one enqueue asks for.
public struct EnqueueRequest: Sendable, Hashable {
    /// The priorities a job may have; higher runs first within its tenant. 0...9.
    public static let priorities = 0...9
    /// The priority of a job that names none: 5, the middle.
    public static let defaultPriority = 5

    /// Which handler runs the job.
    public var kind: String
    /// The kind's payload.
    public var payload: [UInt8]
    /// With a key, enqueuing again returns the first job instead of a new one (per tenant).
    public var idempotencyKey: String?
    /// Request id of the caller, carried into the worker's logs.
    public var requestID: String?
    /// The W3C `traceparent` of the span that enqueued the job, carried to the worker, whose spans
    /// continue the trace; nil when the caller is not traced.
    public var traceParent: String?
    /// Tenant that owns the job; nil shares the default tenant.
    public var tenant: String?
    /// Overrides the queue's attempt limit for this job.
    public var maxAttempts: Int?
    /// 0...9, higher first within the tenant (`defaultPriority` when not said). Age always wins in
    /// the end: see `QueueConfiguration.priorityStep`.
    public var priority: Int
    /// The tenant's share and concurrency limit, as configured; nil leaves what the queue knows.
    public var tenantPolicy: TenantPolicy?
    /// The budget this job reserves an amount of until it ends; nil for none.
    public var budget: BudgetReservation?
    /// Where the job's answer is cached and whether a cached one may answer it; nil for no cache.
    public var answerCache: AnswerCacheEntry?

    /// A request for `kind` with `payload`.
    public init(
        kind: String, payload: [UInt8], idempotencyKey: String? = nil, requestID: String? = nil, tenant: String? = nil,
        maxAttempts: Int? = nil, priority: Int = EnqueueRequest.defaultPriority, tenantPolicy: TenantPolicy? = nil,
        budget: BudgetReservation? = nil
    ) {
        self.kind = kind
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.requestID = requestID
        self.tenant = tenant
        self.maxAttempts = maxAttempts
        self.priority = priority
        self.tenantPolicy = tenantPolicy
        self.budget = budget
    }

    /// The attempts the job gets (its own, or `defaultAttempts`), after checking what every store
    /// refuses: an empty kind, attempts outside 1-100, a priority out of range, a bad tenant policy.
    func checked(defaultAttempts: Int) throws(QueueError) -> Int {
        guard !kind.isEmpty else { throw .invalidPayload("job kind must not be empty") }
        let attempts = maxAttempts ?? defaultAttempts
        guard (1...100).contains(attempts) else { throw .invalidPayload("max attempts must be 1-100") }
        guard Self.priorities.contains(priority) else {
            throw .invalidPayload("priority must be from \(Self.priorities.lowerBound) to \(Self.priorities.upperBound)")
        }
        if let policy = tenantPolicy {
            guard policy.weight > 0, policy.weight.isFinite else { throw .invalidPayload("tenant weight must be above 0") }
            guard (policy.maxRunning ?? 1) >= 1 else { throw .invalidPayload("tenant concurrency must be at least 1") }
        }
        return attempts
    }

    /// The tenant's name in the queue's keys: its name, or `-` for jobs without one.
    var tenantKey: String { tenant.flatMap { $0.isEmpty ? nil : $0 } ?? "-" }

    /// Where the job stands in its tenant's line: its creation time minus `priority` steps, in
    /// thousandths of a millisecond, the last three digits the enqueue's `sequence` (mod 1,000) so
    /// that jobs created in the same millisecond keep their order. Lower goes first; a job of
    /// priority p + k goes ahead of priority p jobs less than k steps older. (Below 2^53, exact in
    /// a Valkey score, until the year 2255.)
    static func rank(createdAt milliseconds: Int64, priority: Int, step: Duration, sequence: Int64) -> Int64 {
        (milliseconds - Int64(priority) * step.milliseconds) * 1000 + sequence % 1000
    }
}

/// What an enqueue did.
public struct EnqueueResult: Sendable, Hashable {
    /// The job's id.
    public var id: JobID
    /// True when the idempotency key named an existing job, which is returned instead.
    public var existing: Bool
    /// True when a cached answer answered it: the job was created already `finished`.
    public var cached = false
    /// True when it follows the same question in flight: it ends as that job ends.
    public var coalesced = false

    public init(id: JobID, existing: Bool, cached: Bool = false, coalesced: Bool = false) {
        self.id = id
        self.existing = existing
        self.cached = cached
        self.coalesced = coalesced
    }
}

/// A job's place in the answer cache: the key of its answer (without the collection's version,
/// which the queue adds as it enqueues), the collection, and how long an answer stays.
public struct AnswerCacheEntry: Sendable, Hashable {
    /// The answer's key: a digest of everything the answer depends on but the index version.
    public var key: String
    /// The collection searched, whose version the queue reads and bumps.
    public var collection: String
    /// How long a stored answer may answer again.
    public var ttl: Duration
    /// Whether a cached answer may answer this job; false still stores this job's answer.
    public var lookup: Bool
    /// The semantic cache's scope: a digest of everything the answer depends on but the question
    /// (the queue adds the collection's version). Questions of one scope whose embeddings are close
    /// share answers (`SemanticAnswerIndex`); nil when the semantic cache is off.
    public var scope: String?

    public init(key: String, collection: String, ttl: Duration, lookup: Bool = true, scope: String? = nil) {
        self.key = key
        self.collection = collection
        self.ttl = ttl
        self.lookup = lookup
        self.scope = scope
    }
}

/// How the queue shares its workers with one tenant: its weight against the other tenants with
/// work waiting, and how many of its jobs may run at once.
public struct TenantPolicy: Sendable, Hashable {
    /// The tenant's share: with several tenants waiting, claims go to each in proportion to its
    /// weight. Default 1; above 0.
    public var weight: Double
    /// Most of the tenant's jobs running at once across all workers; nil (default) for no limit.
    public var maxRunning: Int?

    /// A policy with `weight` and `maxRunning`.
    public init(weight: Double = 1, maxRunning: Int? = nil) {
        self.weight = weight
        self.maxRunning = maxRunning
    }
}
