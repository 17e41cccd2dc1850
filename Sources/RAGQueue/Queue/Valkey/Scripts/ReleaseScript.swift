import Valkey

extension QueueScripts {
    static let release = ValkeyScript(name: "release", source: prelude + """
        --[[ release: the lease holder hands an unfinished job back (graceful shutdown). The attempt
        does not count, and the job goes back to its tenant's ready set at its rank (ahead of newer
        jobs of its priority); after a cancel request it ends `canceled` instead.
        KEYS[1] job record
        ARGV[1] B  ARGV[2] id  ARGV[3] token  ARGV[4] now (ms)  ARGV[5] events channel  ARGV[6] canceled ttl (ms)
        Returns {0, new status}, or {-1}/{-2, status}/{-3, status}/{-4, status} as `complete`. ]]
        local B, id = ARGV[1], ARGV[2]
        local refused = check_holder(KEYS[1], ARGV[3])
        if refused then return count_refused(B, refused) end
        local record = redis.call('HMGET', KEYS[1], 'tk', 'rank', 'cancel')
        local tenant = record[1] or '-'
        leave_active(B, id, tenant)
        redis.call('HINCRBY', KEYS[1], 'attempts', -1)
        note(KEYS[1], ARGV[4], 'released')
        if record[3] == '1' then
          finish(B, KEYS[1], id, 'canceled', ARGV[4], ARGV[6], ARGV[5])
          redis.call('HINCRBY', B .. 'counters', 'canceled', 1)
          return {0, 'canceled'}
        end
        redis.call('HSET', KEYS[1], 'status', 'queued', 'enqueued_at', ARGV[4])
        redis.call('HDEL', KEYS[1], 'lease_until')
        push_ready(B, id, tenant, record[2], ARGV[4])
        redis.call('ZADD', B .. 'marker', 0, 'w')
        redis.call('HINCRBY', B .. 'counters', 'released', 1)
        publish(ARGV[5], id, 'queued')
        return {0, 'queued'}
        """)
}
