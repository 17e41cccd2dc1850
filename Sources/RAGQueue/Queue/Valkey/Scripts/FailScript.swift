import Valkey

extension QueueScripts {
    static let fail = ValkeyScript(name: "fail", source: prelude + """
        --[[ fail: the lease holder reports a failure. A transient failure with attempts left is
        scheduled for a retry at the time the caller computed (backoff, or the backend's retry-after);
        any other ends the job `failed`; after a cancel request it ends `canceled`.
        KEYS[1] job record  KEYS[2] active  KEYS[3] scheduled  KEYS[4] failed  KEYS[5] counters
        KEYS[6] marker
        ARGV[1] id  ARGV[2] token  ARGV[3] now (ms)  ARGV[4] error (JSON)  ARGV[5] transient (0|1)
        ARGV[6] retry at (ms)  ARGV[7] failed record ttl (ms)  ARGV[8] events channel
        ARGV[9] canceled record ttl (ms)  ARGV[10] stage timings (JSON)
        Returns {0, new status}, or {-1}/{-2, status}/{-3, status}/{-4, status} as `complete`. ]]
        local refused = check_holder(KEYS[1], ARGV[2])
        if refused then return count_refused(KEYS[5], refused) end
        local record = redis.call('HMGET', KEYS[1], 'attempts', 'max_attempts', 'cancel')
        local attempts, max_attempts = tonumber(record[1]), tonumber(record[2])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HSET', KEYS[1], 'error', ARGV[4], 'timings', ARGV[10])
        if record[3] == '1' then
          finish(KEYS[1], ARGV[1], 'canceled', ARGV[3], ARGV[9], ARGV[8])
          redis.call('HINCRBY', KEYS[5], 'canceled', 1)
          return {0, 'canceled'}
        end
        if ARGV[5] == '1' and attempts < max_attempts then
          redis.call('HSET', KEYS[1], 'status', 'scheduled', 'retry_at', ARGV[6])
          redis.call('HDEL', KEYS[1], 'lease_until')
          redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
          -- Wake a worker so that it recomputes how long to wait for the earliest retry.
          redis.call('ZADD', KEYS[6], 0, 'w')
          redis.call('HINCRBY', KEYS[5], 'retried', 1)
          publish(ARGV[8], ARGV[1], 'scheduled')
          return {0, 'scheduled'}
        end
        redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
        finish(KEYS[1], ARGV[1], 'failed', ARGV[3], ARGV[7], ARGV[8])
        redis.call('HINCRBY', KEYS[5], 'failed', 1)
        return {0, 'failed'}
        """)
}
