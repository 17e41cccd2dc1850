/// An error from the job queue, with a short stable code usable as a metric label.
public struct QueueError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case queueFull = "queue_full"
        case budgetExhausted = "budget_exhausted"
        case notFound = "not_found"
        case staleToken = "stale_token"
        case invalidState = "invalid_state"
        case alreadyEnded = "already_ended"
        case invalidConfiguration = "invalid_configuration"
        case invalidPayload = "invalid_payload"
        case backend = "backend_unavailable"
        case corruptRecord = "corrupt_record"
        case durabilityUnconfirmed = "durability_unconfirmed"
    }

    private let code: Code
    /// What a person reads.
    public let message: String
    /// The job concerned, when there is one.
    public let jobID: JobID?
    /// The store's error underneath, when there is one (its text is in `message`).
    let underlying: (any Error & Sendable)?
    /// For `queueFull`: how many jobs were waiting.
    public let depth: Int?
    /// For `queueFull` and `budgetExhausted`: how long until trying again makes sense.
    public let retryAfter: Duration?

    private init(
        _ code: Code, _ message: String, jobID: JobID? = nil, underlying: (any Error & Sendable)? = nil, depth: Int? = nil,
        retryAfter: Duration? = nil
    ) {
        self.code = code
        self.message = message
        self.jobID = jobID
        self.underlying = underlying
        self.depth = depth
        self.retryAfter = retryAfter
    }

    /// A short stable identifier for metrics and API error bodies.
    public var codeName: String { code.rawValue }

    /// The queue holds its maximum depth of waiting jobs; try again after `retryAfter`, the time
    /// the queue needs at its measured rate to make room.
    public static func queueFull(depth: Int, retryAfter: Duration? = nil) -> QueueError {
        .init(.queueFull, "queue is full (\(depth) jobs waiting)", depth: depth, retryAfter: retryAfter)
    }
    /// The tenant's budget for the period cannot cover the job's reservation; it renews after `retryAfter`.
    public static func budgetExhausted(retryAfter: Duration) -> QueueError {
        .init(.budgetExhausted, "the tenant's budget for this period is spent or reserved", retryAfter: retryAfter)
    }
    /// No such job, or its record has expired.
    public static func notFound(_ id: JobID) -> QueueError { .init(.notFound, "job \(id) not found", jobID: id) }
    /// The caller's lease token is not the job's current one: a newer attempt owns the job.
    public static func staleToken(_ id: JobID) -> QueueError {
        .init(.staleToken, "job \(id) belongs to a newer attempt; this write was refused", jobID: id)
    }
    /// The job is not in a state that accepts this operation.
    public static func invalidState(_ id: JobID, _ status: String) -> QueueError {
        .init(.invalidState, "job \(id) is \(status)", jobID: id)
    }
    /// The job has ended already.
    public static func alreadyEnded(_ id: JobID, _ status: String) -> QueueError {
        .init(.alreadyEnded, "job \(id) has already ended (\(status))", jobID: id)
    }
    /// A setting is out of range or malformed.
    public static func invalidConfiguration(_ message: String) -> QueueError { .init(.invalidConfiguration, message) }
    /// A payload could not be encoded or decoded.
    public static func invalidPayload(_ message: String, jobID: JobID? = nil) -> QueueError {
        .init(.invalidPayload, message, jobID: jobID)
    }
    /// The store could not be reached or answered with an error; `detail` says what happened.
    public static func backendUnavailable(_ detail: String) -> QueueError {
        .init(.backend, "queue backend: \(detail)")
    }
    /// The store could not be reached: `error` says why.
    static func backend(_ error: any Error & Sendable, detail: String) -> QueueError {
        .init(.backend, "queue backend: \(detail)", underlying: error)
    }
    /// Job `id` was stored, but Valkey did not confirm the durability the queue asks for
    /// (`QueueConfiguration.durability`) in time; `detail` says what it did confirm. The job may
    /// still run: it is not lost, only not acknowledged.
    public static func durabilityUnconfirmed(_ id: JobID, _ detail: String) -> QueueError {
        .init(.durabilityUnconfirmed, "job \(id) was stored but not confirmed durable: \(detail)", jobID: id)
    }
    /// A stored record or script reply does not have the expected shape.
    public static func corruptRecord(_ message: String, jobID: JobID? = nil) -> QueueError {
        .init(.corruptRecord, message, jobID: jobID)
    }

    /// Whether this is `queueFull`.
    public var isQueueFull: Bool { code == .queueFull }
    /// Whether this is `budgetExhausted`.
    public var isBudgetExhausted: Bool { code == .budgetExhausted }
    /// Whether this is `notFound`.
    public var isNotFound: Bool { code == .notFound }
    /// Whether this is `staleToken`.
    public var isStaleToken: Bool { code == .staleToken }
    /// Whether this is `alreadyEnded`.
    public var isAlreadyEnded: Bool { code == .alreadyEnded }
    /// Whether this is `invalidState`.
    public var isInvalidState: Bool { code == .invalidState }
    /// Whether this is `durabilityUnconfirmed`.
    public var isDurabilityUnconfirmed: Bool { code == .durabilityUnconfirmed }
    /// Whether Valkey was unreachable: the operation may succeed when retried.
    public var isBackendUnavailable: Bool { code == .backend }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func == (lhs: QueueError, rhs: QueueError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.jobID == rhs.jobID && lhs.depth == rhs.depth
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(jobID)
    }
}
