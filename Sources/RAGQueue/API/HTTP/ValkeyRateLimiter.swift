import Foundation
import RAGQueue

/// A token bucket per API key, kept in Valkey so every API process shares it.
///
/// One Lua script refills and takes a token atomically; the caller passes `now`, the script never
/// reads its own clock (the house rule of the queue's scripts).
public struct ValkeyRateLimiter: Sendable {
    /// What one check decided.
    public struct Decision: Sendable, Hashable {
        /// Whether the request may proceed.
        public var allowed: Bool
        /// When refused, how long until a token is available.
        public var retryAfter: Duration
        /// Whole tokens left in the bucket after this request.
        public var remaining: Int
    }

    private let client: ValkeyClient
    private let keyPrefix: String
    private let limit: APIConfiguration.RateLimit
    private let clock: any WallClock

    /// A limiter keeping its buckets under `keyPrefix` (the queue's hash-tagged base).
    public init(client: ValkeyClient, keyPrefix: String, limit: APIConfiguration.RateLimit, clock: any WallClock = SystemWallClock()) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.limit = limit
        self.clock = clock
    }

    /// Takes one token from `keyID`'s bucket, or says how long to wait.
    public func acquire(keyID: String) async throws(ValkeyError) -> Decision {
        guard limit.isEnabled else { return Decision(allowed: true, retryAfter: .zero, remaining: .max) }
        let perMillisecond = Double(limit.requestsPerMinute) / 60_000
        let reply = try await client.run(
            Self.script, keys: [keyPrefix + "ratelimit:" + keyID],
            arguments: [clock.nowMilliseconds(), limit.burst, perMillisecond]
        )
        guard let parts = reply.array, parts.count == 3, let allowed = parts[0].int, let wait = parts[1].int, let left = parts[2].int else {
            throw .unexpectedReply("rate limit script returned an unexpected reply")
        }
        return Decision(allowed: allowed == 1, retryAfter: .milliseconds(wait), remaining: Int(left))
    }

    /// The token bucket, one atomic step.
    static let script = ValkeyScript(name: "rate_limit", source: """
        --[[ rate_limit: take one token from a bucket that refills continuously.
        Invariant: 0 <= tokens <= capacity; a refused request takes nothing.
        KEYS[1] bucket HASH {tokens, ts}
        ARGV[1] now (ms)  ARGV[2] capacity (burst)  ARGV[3] refill rate (tokens per ms)
        Returns {1, 0, left} allowed; {0, wait ms, 0} refused. ]]
        local now = tonumber(ARGV[1])
        local capacity = tonumber(ARGV[2])
        local rate = tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(state[1])
        local ts = tonumber(state[2])
        if tokens == nil or ts == nil then
          tokens = capacity
          ts = now
        end
        if now > ts then
          tokens = math.min(capacity, tokens + (now - ts) * rate)
          ts = now
        end
        local allowed = 0
        local wait = 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          wait = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
        return {allowed, wait, math.floor(tokens)}
        """)
}
