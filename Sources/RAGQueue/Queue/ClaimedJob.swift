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
    /// The W3C `traceparent` it was enqueued under (`EnqueueRequest.traceParent`), if any.
    public var traceParent: String? = nil
    /// The owning tenant.
    public var tenant: String?
    /// The job's priority (0...9).
    public var priority: Int = EnqueueRequest.defaultPriority
    /// Its semantic answer-cache scope (`AnswerCacheEntry.scope` and the collection's version):
    /// answers of similar questions it may reuse, and where its own goes; nil without one.
    public var answerScope: String? = nil

    /// The lease this claim holds.
    public var lease: JobLease { JobLease(id: id, token: token) }

    /// How long this attempt waited in the queue: from entering the waiting list to this claim.
    public var queueWaitMilliseconds: Int64 { max(0, claimedAtMilliseconds - enqueuedAtMilliseconds) }
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
