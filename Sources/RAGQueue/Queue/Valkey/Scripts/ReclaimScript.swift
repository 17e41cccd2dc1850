import Valkey

extension QueueScripts {
    static let reclaim = ValkeyScript(name: "reclaim", source: prelude + """
        --[[ reclaim: jobs whose lease expired (worker killed, frozen or cut off) go back to the
        claiming end of `waiting` while attempts remain, else fail with `lease_expired`; canceled
        ones end `canceled`. Also promotes due retries and trims the failed index and dead workers.
        Invariant: a job is never both active and waiting; after this, no expired lease remains.
        KEYS[1] active  KEYS[2] waiting  KEYS[3] scheduled  KEYS[4] failed  KEYS[5] counters
        KEYS[6] marker  KEYS[7] workers
        ARGV[1] now (ms)  ARGV[2] job key prefix  ARGV[3] events channel  ARGV[4] failed ttl (ms)
        ARGV[5] canceled ttl (ms)  ARGV[6] max jobs per call
        Returns {requeued, failed, canceled, promoted}. ]]
        local now = tonumber(ARGV[1])
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
        local requeued, failed, canceled = 0, 0, 0
        for _, id in ipairs(expired) do
          redis.call('ZREM', KEYS[1], id)
          local key = ARGV[2] .. id
          local record = redis.call('HMGET', key, 'status', 'attempts', 'max_attempts', 'cancel', 'worker')
          if record[1] == 'started' then
            local attempts, max_attempts = tonumber(record[2]), tonumber(record[3])
            local lost = cjson.encode({code = 'lease_expired', transient = true, attempt = attempts,
              message = 'worker ' .. tostring(record[5]) .. ' stopped renewing its lease on attempt ' ..
                attempts .. ' of ' .. max_attempts})
            redis.call('HSET', key, 'error', lost)
            if record[4] == '1' then
              finish(key, id, 'canceled', now, ARGV[5], ARGV[3])
              redis.call('HINCRBY', KEYS[5], 'canceled', 1)
              canceled = canceled + 1
            elseif attempts < max_attempts then
              redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now)
              redis.call('HDEL', key, 'lease_until')
              redis.call('RPUSH', KEYS[2], id)
              redis.call('HINCRBY', KEYS[5], 'reclaimed', 1)
              publish(ARGV[3], id, 'queued')
              requeued = requeued + 1
            else
              local final = cjson.encode({code = 'lease_expired', transient = false, attempt = attempts,
                message = 'gave up after ' .. attempts .. ' attempts: the last worker (' .. tostring(record[5]) ..
                  ') stopped renewing its lease'})
              redis.call('HSET', key, 'error', final)
              redis.call('ZADD', KEYS[4], now, id)
              finish(key, id, 'failed', now, ARGV[4], ARGV[3])
              redis.call('HINCRBY', KEYS[5], 'failed', 1)
              failed = failed + 1
            end
          end
        end
        local promoted = promote_due(KEYS[3], KEYS[2], ARGV[2], now, 1000, ARGV[3])
        if requeued + promoted > 0 then redis.call('ZADD', KEYS[6], 0, 'w') end
        redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[4]))
        redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now)
        return {requeued, failed, canceled, promoted}
        """)
}
