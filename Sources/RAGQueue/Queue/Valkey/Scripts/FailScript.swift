import Valkey

extension QueueScripts {
    static let fail = ValkeyScript(name: "fail", source: prelude + """
        --[[ fail: the lease holder reports a failure. A transient failure with attempts left is
        scheduled for a retry at the time the caller computed (backoff, or the backend's retry-after);
        any other ends the job `failed`; after a cancel request it ends `canceled`. The attempt's
        usage is counted whatever happens next: it was paid for.
        KEYS[1] job record
        ARGV[1] B  ARGV[2] id  ARGV[3] token  ARGV[4] now (ms)  ARGV[5] error (JSON)  ARGV[6] transient (0|1)
        ARGV[7] retry at (ms)  ARGV[8] failed record ttl (ms)  ARGV[9] events channel
        ARGV[10] canceled record ttl (ms)  ARGV[11] stage timings (JSON)  ARGV[12] the attempt's usage (JSON)
        ARGV[13] refunds allowed: above 0 for a backend outage, whose attempt is given back while the
        job's `refunds` stay below it (CircuitPolicy.maximumRefunds); 0 for a failure of the job's own
        Returns {0, new status}, or {-1}/{-2, status}/{-3, status}/{-4, status} as `complete`. ]]
        local B, id = ARGV[1], ARGV[2]
        local refused = check_holder(KEYS[1], ARGV[3])
        if refused then return count_refused(B, refused) end
        local record = redis.call('HMGET', KEYS[1], 'attempts', 'max_attempts', 'cancel', 'tk', 'refunds')
        local attempts, max_attempts, tenant = tonumber(record[1]), tonumber(record[2]), record[4] or '-'
        if ARGV[6] == '1' and (tonumber(record[5]) or 0) < tonumber(ARGV[13]) then
          attempts = attempts - 1
          redis.call('HINCRBY', KEYS[1], 'attempts', -1)
          redis.call('HINCRBY', KEYS[1], 'refunds', 1)
        end
        leave_active(B, id, tenant)
        add_usage(B, KEYS[1], tenant, ARGV[12])
        redis.call('HSET', KEYS[1], 'error', ARGV[5], 'timings', ARGV[11])
        if record[3] == '1' then
          finish(B, KEYS[1], id, 'canceled', ARGV[4], ARGV[10], ARGV[9])
          redis.call('HINCRBY', B .. 'counters', 'canceled', 1)
          return {0, 'canceled'}
        end
        if ARGV[6] == '1' and attempts < max_attempts then
          local decoded, failure = pcall(cjson.decode, ARGV[5])
          note(KEYS[1], ARGV[4], 'scheduled ' .. tostring(decoded and type(failure) == 'table' and failure.code or 'unknown') .. ' ' .. ARGV[7])
          redis.call('HSET', KEYS[1], 'status', 'scheduled', 'retry_at', ARGV[7])
          redis.call('HDEL', KEYS[1], 'lease_until')
          redis.call('ZADD', B .. 'scheduled', ARGV[7], id)
          -- Wake a worker so that it recomputes how long to wait for the earliest retry.
          redis.call('ZADD', B .. 'marker', 0, 'w')
          redis.call('HINCRBY', B .. 'counters', 'retried', 1)
          publish(ARGV[9], id, 'scheduled')
          return {0, 'scheduled'}
        end
        local decoded, failure = pcall(cjson.decode, ARGV[5])
        end_failed(B, KEYS[1], id, ARGV[4], ARGV[8], ARGV[9], decoded and type(failure) == 'table' and failure.code or nil)
        return {0, 'failed'}
        """)
}
