/// Why an attempt failed, as stored on the job and shown to users.
public struct JobFailure: Sendable, Hashable, Codable, Error {
    /// A short stable code (`rate_limited`, `lease_expired`, `collection_not_found`, ...).
    public var code: String
    /// What a person reads; never carries secrets.
    public var message: String
    /// Whether a retry may succeed.
    public var transient: Bool
    /// The attempt that failed, when known.
    public var attempt: Int?
    /// How long the backend asked us to wait before retrying, in seconds.
    public var retryAfterSeconds: Double?

    /// A failure with its code and message.
    public init(code: String, message: String, transient: Bool, attempt: Int? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.transient = transient
        self.attempt = attempt
        self.retryAfterSeconds = retryAfter.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
    }

    /// The backend's requested delay, when it gave one.
    public var retryAfter: Duration? {
        retryAfterSeconds.map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }
}
