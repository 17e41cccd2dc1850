import Valkey

extension QueueScripts {
    static let reclaim = ValkeyScript(name: "reclaim", source: prelude + """
        --[[ reclaim: jobs whose lease expired (worker killed, frozen or cut off) go back to their
        tenant's ready set while attempts remain, else fail with `lease_expired`; canceled ones end
        `canceled`. Also promotes due retries and trims the failed index and dead workers.
        Invariant: a job is never both active and ready; after this, no expired lease remains.
        KEYS[1] active (declared for routing; the other keys are built from B)
        ARGV[1] B  ARGV[2] now (ms)  ARGV[3] events channel  ARGV[4] failed ttl (ms)  ARGV[5] canceled ttl (ms)
        ARGV[6] max jobs per call
        Returns {requeued, failed, canceled, promoted}. ]]
        local B, now = ARGV[1], tonumber(ARGV[2])
        local expired = redis.call('ZRANGEBYSCORE', B .. 'active', '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
        local requeued, failed, canceled = 0, 0, 0
        for _, id in ipairs(expired) do
          local key = B .. 'job:' .. id
          local record = redis.call('HMGET', key, 'status', 'attempts', 'max_attempts', 'cancel', 'worker', 'tk', 'rank')
          local tenant = record[6] or '-'
          leave_active(B, id, tenant)
          if record[1] == 'started' then
            local attempts, max_attempts = tonumber(record[2]), tonumber(record[3])
            local lost = cjson.encode({code = 'lease_expired', transient = true, attempt = attempts,
              message = 'worker ' .. tostring(record[5]) .. ' stopped renewing its lease on attempt ' ..
                attempts .. ' of ' .. max_attempts})
            redis.call('HSET', key, 'error', lost)
            if record[4] == '1' then
              finish(B, key, id, 'canceled', now, ARGV[5], ARGV[3])
              redis.call('HINCRBY', B .. 'counters', 'canceled', 1)
              canceled = canceled + 1
            elseif attempts < max_attempts then
              redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now)
              redis.call('HDEL', key, 'lease_until')
              push_ready(B, id, tenant, record[7], now)
              redis.call('HINCRBY', B .. 'counters', 'reclaimed', 1)
              publish(ARGV[3], id, 'queued')
              requeued = requeued + 1
            else
              local final = cjson.encode({code = 'lease_expired', transient = false, attempt = attempts,
                message = 'gave up after ' .. attempts .. ' attempts: the last worker (' .. tostring(record[5]) ..
                  ') stopped renewing its lease'})
              redis.call('HSET', key, 'error', final)
              redis.call('ZADD', B .. 'failed', now, id)
              finish(B, key, id, 'failed', now, ARGV[4], ARGV[3])
              redis.call('HINCRBY', B .. 'counters', 'failed', 1)
              failed = failed + 1
            end
          end
        end
        local promoted = promote_due(B, now, 1000, ARGV[3])
        if requeued + promoted > 0 then redis.call('ZADD', B .. 'marker', 0, 'w') end
        redis.call('ZREMRANGEBYSCORE', B .. 'failed', '-inf', now - tonumber(ARGV[4]))
        redis.call('ZREMRANGEBYSCORE', B .. 'workers', '-inf', now)
        return {requeued, failed, canceled, promoted}
        """)
}
