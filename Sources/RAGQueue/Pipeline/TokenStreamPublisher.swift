/// Publishes a streamed answer to a bounded, expiring Valkey stream per job (`QueueKeys.tokens(id)`),
/// for the API to relay to clients (server-sent events).
///
/// Entry format (each entry's fields; see `docs/streaming.md`):
/// - `attempt <n>`: the first entry of every attempt. A reader drops any text it collected from an
///   earlier attempt: a retried job writes its answer again from the start.
/// - `text <piece>`: the next piece of the answer, in order; the pieces since the last `attempt`
///   concatenate to the answer stored with the job.
/// - `end <finish_reason>`: the answer is complete (`stop`, `length`, ...). Last entry of a success.
/// - `error <code>`, `message <text>`, `final 0|1`: the attempt failed. With `final 1` no attempt
///   follows; with `final 0` another may (watch for its `attempt` entry or the job's status).
///
/// Every `XADD` caps the stream with `MAXLEN ~ maxLength`; the key expires `ttl` after the first and
/// the last entry of each attempt (the queue's result TTL).
public struct TokenStreamPublisher: Sendable {
    /// Entries kept at most per stream (approximate trim). Default 10,000.
    public static let defaultMaxLength = 10_000

    /// The client the entries go through.
    public let client: ValkeyClient
    /// The queue's key names.
    public let keys: QueueKeys
    /// How long a stream stays readable after its last write.
    public let ttl: Duration
    /// Entries kept at most.
    public let maxLength: Int

    /// A publisher writing under `keys`, expiring streams after `ttl`.
    public init(client: ValkeyClient, keys: QueueKeys, ttl: Duration, maxLength: Int = TokenStreamPublisher.defaultMaxLength) {
        self.client = client
        self.keys = keys
        self.ttl = ttl
        self.maxLength = maxLength
    }

    /// A publisher for `store`'s queue, with its result TTL.
    public init(store: ValkeyJobStore) {
        self.init(client: store.client, keys: store.keys, ttl: store.configuration.resultTTL)
    }

    /// Marks the start of an attempt.
    public func begin(_ id: JobID, attempt: Int) async throws {
        try await append(id, fields: ["attempt", String(attempt)], expire: true)
    }

    /// Appends the next piece of the answer.
    public func publish(_ id: JobID, text: String) async throws {
        try await append(id, fields: ["text", text], expire: false)
    }

    /// Marks the answer complete.
    public func end(_ id: JobID, finishReason: String?) async throws {
        try await append(id, fields: ["end", finishReason ?? "stop"], expire: true)
    }

    /// Marks the attempt failed; `final` when no other attempt will follow.
    public func fail(_ id: JobID, failure: JobFailure, final: Bool) async throws {
        try await append(id, fields: ["error", failure.code, "message", failure.message, "final", final ? "1" : "0"], expire: true)
    }

    /// One `XADD` (and `PEXPIRE`), pipelined on one connection so they apply in order.
    private func append(_ id: JobID, fields: [String], expire: Bool) async throws {
        let key = keys.tokens(id)
        let head: [any ValkeyArgument] = [key, "MAXLEN", "~", maxLength, "*"]
        var commands = [ValkeyCommand("XADD", head + fields.map { $0 as any ValkeyArgument })]
        if expire {
            commands.append(ValkeyCommand("PEXPIRE", key, max(ttl.milliseconds, 1)))
        }
        for result in await client.pipeline(commands) {
            _ = try result.get().throwingServerError()
        }
    }
}
