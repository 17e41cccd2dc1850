import Valkey

extension QueueScripts {
    static let rateLimit = ValkeyScript(name: "rate_limit", source: """
        --[[ rate_limit: take one token from a bucket that refills continuously (TokenBucket.take).
        Invariant: 0 <= tokens <= capacity; a refused take takes nothing.
        KEYS[1] bucket HASH {tokens, ts}
        ARGV[1] now (ms)  ARGV[2] capacity  ARGV[3] refill rate (tokens per ms)
        Returns {1, 0, whole tokens left} taken; {0, wait (ms) until a token is there, 0} refused.
        The bucket expires once it would be full again, so idle callers cost no memory. ]]
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
