/// What one enqueue asks for.
public struct EnqueueRequest: Sendable, Hashable {
    /// Which handler runs the job.
    public var kind: String
    /// The kind's payload.
    public var payload: [UInt8]
    /// With a key, enqueuing again returns the first job instead of a new one (per tenant).
    public var idempotencyKey: String?
    /// Request id of the caller, carried into the worker's logs.
    public var requestID: String?
    /// Tenant that owns the job.
    public var tenant: String?
    /// Overrides the queue's attempt limit for this job.
    public var maxAttempts: Int?

    /// A request for `kind` with `payload`.
    public init(kind: String, payload: [UInt8], idempotencyKey: String? = nil, requestID: String? = nil, tenant: String? = nil, maxAttempts: Int? = nil) {
        self.kind = kind
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.requestID = requestID
        self.tenant = tenant
        self.maxAttempts = maxAttempts
    }
}

/// What an enqueue did.
public struct EnqueueResult: Sendable, Hashable {
    /// The job's id.
    public var id: JobID
    /// True when the idempotency key named an existing job, which is returned instead.
    public var existing: Bool
}

/// A job held by a worker under a lease.
public struct ClaimedJob: Sendable, Hashable {
    /// The job's id.
    public var id: JobID
    /// The fencing token of this attempt: every write about the job must carry it.
    public var token: Int64
    /// This attempt's number, from 1.
    public var attempt: Int
    /// Attempts allowed.
    public var maxAttempts: Int
    /// Which handler runs it.
    public var kind: String
    /// The kind's payload.
    public var payload: [UInt8]
    /// When the job was first enqueued (ms since the epoch).
    public var createdAtMilliseconds: Int64
    /// When the job last entered the waiting list (ms since the epoch).
    public var enqueuedAtMilliseconds: Int64
    /// When this claim happened (ms since the epoch).
    public var claimedAtMilliseconds: Int64
    /// The enqueuing request's id, for logs.
    public var requestID: String?
    /// The owning tenant.
    public var tenant: String?

    /// The lease this claim holds.
    public var lease: JobLease { JobLease(id: id, token: token) }
}

/// The proof of holding a job: its id and the fencing token of the claim.
public struct JobLease: Sendable, Hashable {
    /// The job.
    public var id: JobID
    /// The claim's fencing token.
    public var token: Int64

    public init(id: JobID, token: Int64) {
        self.id = id
        self.token = token
    }
}

/// What a batch claim returned.
public struct ClaimBatch: Sendable, Hashable {
    /// The jobs now held, at most the number asked for.
    public var jobs: [ClaimedJob]
    /// When the earliest scheduled retry is due (ms since the epoch), if any.
    public var nextDueMilliseconds: Int64?
}

/// The answer to a lease renewal, per job.
public enum LeaseRenewal: Sendable, Hashable {
    /// Extended.
    case renewed
    /// Extended, and a user asked to cancel the job: stop at the next step.
    case cancelRequested
    /// The lease is gone (expired and taken over, or the job ended): stop and write nothing.
    case lost
}

/// What a failure report did to the job.
public enum FailureOutcome: Sendable, Hashable {
    /// Scheduled for another attempt.
    case scheduled
    /// Ended as failed.
    case failed
    /// Ended as canceled (a cancel had been requested).
    case canceled
}

/// What a cancel request did.
public enum CancelOutcome: Sendable, Hashable {
    /// The job was waiting and is now canceled.
    case canceled
    /// The job is running; its worker has been told to stop.
    case requested
}

/// What one reclaim pass did.
public struct ReclaimReport: Sendable, Hashable {
    /// Jobs with expired leases put back in the queue.
    public var requeued: Int
    /// Jobs with expired leases and no attempts left, now failed.
    public var failed: Int
    /// Jobs with expired leases and a pending cancel, now canceled.
    public var canceled: Int
    /// Scheduled retries that came due.
    public var promoted: Int
}

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
    /// Lifetime counters: enqueued, finished, failed, canceled, retried, reclaimed, released.
    public var counters: [String: Int]
}

/// The job queue's storage: the seam between workers, the API and Valkey.
///
/// Every state change is atomic. Writes about a claimed job carry its `JobLease`; a lease that a
/// newer attempt has taken over is refused with `QueueError.staleToken`.
public protocol JobStore: Sendable {
    /// Adds a job; refuses with `queueFull` beyond the configured depth.
    func enqueue(_ request: EnqueueRequest) async throws(QueueError) -> EnqueueResult
    /// Takes up to `count` waiting jobs for `workerID`, each under a fresh lease.
    func claim(workerID: String, count: Int) async throws(QueueError) -> ClaimBatch
    /// A waiter that blocks, without polling, until work may be available.
    func makeWorkWaiter() -> any WorkWaiter
    /// Extends the leases of held jobs, in one step.
    func renew(_ leases: [JobLease]) async throws(QueueError) -> [LeaseRenewal]
    /// Stores the result of a held job; it ends `finished`.
    func complete(_ lease: JobLease, result: [UInt8], timings: [String: Double]) async throws(QueueError)
    /// Reports a failure of a held job; transient failures are retried at `retryAt` while attempts remain.
    func fail(_ lease: JobLease, failure: JobFailure, retryAtMilliseconds: Int64, timings: [String: Double]) async throws(QueueError) -> FailureOutcome
    /// Hands a held job back unfinished; the attempt does not count.
    func release(_ lease: JobLease) async throws(QueueError)
    /// Cancels a job: at once when waiting, at its next step when running.
    func cancel(_ id: JobID) async throws(QueueError) -> CancelOutcome
    /// Requeues or fails jobs whose leases expired and promotes due retries.
    func reclaimExpired() async throws(QueueError) -> ReclaimReport
    /// Reads a job; nil when unknown or expired.
    func job(_ id: JobID) async throws(QueueError) -> JobRecord?
    /// A snapshot of the queue's sizes and counters.
    func stats() async throws(QueueError) -> QueueStats
    /// Announces a live worker until `ttl` passes without another heartbeat.
    func heartbeat(_ worker: WorkerInfo, ttl: Duration) async throws(QueueError)
    /// Removes a worker that is shutting down.
    func removeWorker(_ id: String) async throws(QueueError)
}

/// Blocks until work may be waiting: one per claiming loop, since each holds a connection.
public protocol WorkWaiter: Sendable {
    /// Returns when a job may be waiting, or after `timeout`.
    func wait(timeout: Duration) async throws(QueueError)
    /// Releases the waiter's connection; a blocked `wait` returns at once.
    func close()
}

/// A live worker process, as it announces itself.
public struct WorkerInfo: Sendable, Hashable, Codable {
    /// The worker's id (host, pid and a random part).
    public var id: String
    /// Host name.
    public var host: String
    /// Process id.
    public var pid: Int32
    /// Jobs it runs at once.
    public var concurrency: Int
    /// Job kinds it runs.
    public var kinds: [String]
    /// When it started (ms since the epoch).
    public var startedAtMilliseconds: Int64

    public init(id: String, host: String, pid: Int32, concurrency: Int, kinds: [String], startedAtMilliseconds: Int64) {
        self.id = id
        self.host = host
        self.pid = pid
        self.concurrency = concurrency
        self.kinds = kinds
        self.startedAtMilliseconds = startedAtMilliseconds
    }
}
