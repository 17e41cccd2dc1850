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
