import Valkey

extension QueueScripts {
    static let reclaim = ValkeyScript(name: "reclaim", source: prelude + """
        --[[ reclaim: the jobs of dead workers (heartbeat lapsed: killed, frozen or cut off) go back
        to their tenant's ready set at once, their attempt not counted, until `max crashes` workers
        have died holding one job (then it fails with `worker_crashed`); jobs whose lease expired
        go back while attempts remain, else fail with `lease_expired`; canceled ones end `canceled`.
        Also promotes due retries and trims the failed and recent indexes.
        Outages: `seen` keeps when reclaim last ran. A gap longer than a heartbeat means nobody
        could reach the queue (Valkey was down, or no worker ran): every lease and heartbeat
        deadline moves on by the gap before anything is judged, so the live workers renew before
        anyone reclaims, and no job is taken from a worker that was only cut off with everyone else.
        Invariant: a job is never both active and ready; after this, no expired lease remains.
        KEYS[1] active (declared for routing; the other keys are built from B)
        ARGV[1] B  ARGV[2] now (ms)  ARGV[3] events channel  ARGV[4] failed ttl (ms)  ARGV[5] canceled ttl (ms)
        ARGV[6] max jobs per call  ARGV[7] heartbeat (ms)  ARGV[8] max crashes
        Returns {requeued, failed, canceled, promoted, crashed (jobs of dead workers), gap (ms moved on)}. ]]
        local B, now = ARGV[1], tonumber(ARGV[2])
        local limit, max_crashes = tonumber(ARGV[6]), tonumber(ARGV[8])
        local gap = 0
        local seen = tonumber(redis.call('GET', B .. 'seen'))
        if seen and now - seen > tonumber(ARGV[7]) then
          gap = now - seen
          for _, set in ipairs({'active', 'workers'}) do
            local entries = redis.call('ZRANGE', B .. set, 0, -1, 'WITHSCORES')
            for i = 1, #entries, 2 do
              redis.call('ZADD', B .. set, tonumber(entries[i + 1]) + gap, entries[i])
            end
          end
        end
        redis.call('SET', B .. 'seen', now)
        local requeued, failed, canceled, crashed = 0, 0, 0, 0

        -- Takes one job off its holder: `lost` describes how, `final` the failure when none may follow.
        local function take_back(id, crash)
          local key = B .. 'job:' .. id
          local record = redis.call('HMGET', key, 'status', 'attempts', 'max_attempts', 'cancel', 'worker', 'tk', 'rank', 'crashes')
          local tenant = record[6] or '-'
          leave_active(B, id, tenant)
          if record[1] ~= 'started' then return end
          local attempts, max_attempts = tonumber(record[2]), tonumber(record[3])
          local crashes = tonumber(record[8]) or 0
          local worker = tostring(record[5])
          local lost, final, code
          if crash then
            attempts, crashes = attempts - 1, crashes + 1
            redis.call('HSET', key, 'attempts', attempts, 'crashes', crashes)
            crashed = crashed + 1
            code = 'worker_crashed'
            lost = 'worker ' .. worker .. ' died holding it (crash ' .. crashes .. ' of ' .. max_crashes .. ')'
            if crashes >= max_crashes then
              final = 'gave up after ' .. crashes .. ' workers died holding it; the last was ' .. worker
            end
          else
            code = 'lease_expired'
            lost = 'worker ' .. worker .. ' stopped renewing its lease on attempt ' .. attempts .. ' of ' .. max_attempts
            if attempts >= max_attempts then
              final = 'gave up after ' .. attempts .. ' attempts: the last worker (' .. worker .. ') stopped renewing its lease'
            end
          end
          redis.call('HSET', key, 'error', cjson.encode({code = code, transient = true, attempt = attempts, message = lost}))
          note(key, now, code .. ' ' .. worker)
          if record[4] == '1' then
            finish(B, key, id, 'canceled', now, ARGV[5], ARGV[3])
            redis.call('HINCRBY', B .. 'counters', 'canceled', 1)
            canceled = canceled + 1
          elseif not final then
            redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now, 'history', noted(redis.call('HGET', key, 'history'), now, 'queued'))
            redis.call('HDEL', key, 'lease_until')
            push_ready(B, id, tenant, record[7], now)
            redis.call('HINCRBY', B .. 'counters', 'reclaimed', 1)
            publish(ARGV[3], id, 'queued')
            requeued = requeued + 1
          else
            redis.call('HSET', key, 'error', cjson.encode({code = code, transient = false, attempt = attempts, message = final}))
            end_failed(B, key, id, now, ARGV[4], ARGV[3], code)
            failed = failed + 1
          end
        end

        local dead = redis.call('ZRANGEBYSCORE', B .. 'workers', '-inf', now, 'LIMIT', 0, limit)
        for _, worker in ipairs(dead) do
          for _, id in ipairs(redis.call('SMEMBERS', B .. 'held:' .. worker)) do
            take_back(id, true)
          end
          redis.call('DEL', B .. 'held:' .. worker, B .. 'worker:' .. worker)
          redis.call('ZREM', B .. 'workers', worker)
        end
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', B .. 'active', '-inf', now, 'LIMIT', 0, limit)) do
          take_back(id, false)
        end
        local promoted = promote_due(B, now, 1000, ARGV[3])
        if requeued + promoted > 0 then redis.call('ZADD', B .. 'marker', 0, 'w') end
        redis.call('ZREMRANGEBYSCORE', B .. 'failed', '-inf', now - tonumber(ARGV[4]))
        -- The recent jobs' index keeps what the longest-kept records may still hold.
        redis.call('ZREMRANGEBYSCORE', B .. 'recent', '-inf', now - math.max(tonumber(ARGV[4]), tonumber(ARGV[5])))
        return {requeued, failed, canceled, promoted, crashed, gap}
        """)
}
