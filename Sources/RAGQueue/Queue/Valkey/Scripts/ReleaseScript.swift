import Valkey

extension QueueScripts {
    static let release = ValkeyScript(name: "release", source: prelude + """
        --[[ release: the lease holder hands an unfinished job back (graceful shutdown). The attempt
        does not count, and the job goes to the claiming end of `waiting`; after a cancel request it
        ends `canceled` instead.
        KEYS[1] job record  KEYS[2] active  KEYS[3] waiting  KEYS[4] marker  KEYS[5] counters
        ARGV[1] id  ARGV[2] token  ARGV[3] now (ms)  ARGV[4] events channel  ARGV[5] canceled ttl (ms)
        Returns {0, new status}, or {-1}/{-2, status}/{-3, status}/{-4, status} as `complete`. ]]
        local refused = check_holder(KEYS[1], ARGV[2])
        if refused then return count_refused(KEYS[5], refused) end
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HINCRBY', KEYS[1], 'attempts', -1)
        if redis.call('HGET', KEYS[1], 'cancel') == '1' then
          finish(KEYS[1], ARGV[1], 'canceled', ARGV[3], ARGV[5], ARGV[4])
          redis.call('HINCRBY', KEYS[5], 'canceled', 1)
          return {0, 'canceled'}
        end
        redis.call('HSET', KEYS[1], 'status', 'queued', 'enqueued_at', ARGV[3])
        redis.call('HDEL', KEYS[1], 'lease_until')
        redis.call('RPUSH', KEYS[3], ARGV[1])
        redis.call('ZADD', KEYS[4], 0, 'w')
        redis.call('HINCRBY', KEYS[5], 'released', 1)
        publish(ARGV[4], ARGV[1], 'queued')
        return {0, 'queued'}
        """)
}
