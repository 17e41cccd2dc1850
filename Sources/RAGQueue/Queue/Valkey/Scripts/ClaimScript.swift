import Valkey

extension QueueScripts {
    /// Fields returned per claimed job, in order.
    static let claimStride = 13

    static let claim = ValkeyScript(name: "claim", source: prelude + """
        --[[ claim: a worker takes up to N queued jobs, each with a lease and a fresh fencing token,
        tenant by tenant in order of pass (weighted fair share), each tenant's best-ranked job first.
        Invariant: a job leaves the ready sets and enters `active` in the same step, so no crash
        between the two can lose it; tokens only grow, so a later attempt always outranks an earlier
        one; no tenant runs more than its concurrency limit.
        KEYS[1] fence
        ARGV[1] B  ARGV[2] now (ms)  ARGV[3] lease (ms)  ARGV[4] worker id  ARGV[5] max jobs  ARGV[6] events channel
        Returns {next scheduled due time or -1, then per job: id, token, attempts, max attempts, kind,
        payload, created at, request id, tenant, enqueued at, priority, semantic answer scope}. When jobs remain claimable it
        re-arms the marker so another idle worker wakes. While the backends' circuit is open it takes
        nothing and returns {open_until}; half-open, it takes one job at a time (CircuitPolicy). ]]
        local B, now = ARGV[1], tonumber(ARGV[2])
        local deadline = now + tonumber(ARGV[3])
        local wanted = tonumber(ARGV[5])
        local circuit = redis.call('HMGET', B .. 'circuit', 'open_until', 'trips')
        local open_until = tonumber(circuit[1]) or 0
        if open_until > now then return {open_until} end
        if (tonumber(circuit[2]) or 0) > 0 then wanted = math.min(wanted, 1) end
        promote_due(B, now, 1000, ARGV[6])
        local out = {-1}
        local taken = 0
        local visits = 0
        while taken < wanted and visits < wanted + 1000 do
          local head = redis.call('ZRANGE', B .. 'tenants', 0, 0, 'WITHSCORES')
          if not head[1] then break end
          visits = visits + 1
          local tenant, pass = head[1], tonumber(head[2])
          local popped = redis.call('ZPOPMIN', B .. 'ready:' .. tenant)
          local id = popped[1]
          if id then
            redis.call('ZREM', B .. 'waiting', id)
            local key = B .. 'job:' .. id
            local record = redis.call('HMGET', key, 'status', 'attempts', 'max_attempts', 'kind', 'payload',
              'created_at', 'request_id', 'tenant', 'enqueued_at', 'priority', 'semantic', 'history', 'traceparent')
            -- An id whose record expired or was canceled is dropped here, at no cost to its tenant.
            if record[1] == 'queued' then
              local token = redis.call('INCR', KEYS[1])
              local attempts = tonumber(record[2]) + 1
              redis.call('HSET', key, 'status', 'started', 'attempts', attempts, 'token', token,
                'worker', ARGV[4], 'started_at', now, 'lease_until', deadline,
                'history', noted(record[12], now, 'started ' .. ARGV[4] .. ' ' .. attempts))
              if attempts == 1 then redis.call('HSET', key, 'first_started_at', now) end
              redis.call('ZADD', B .. 'active', deadline, id)
              redis.call('SADD', B .. 'held:' .. ARGV[4], id)
              local tkey = B .. 'tenant:' .. tenant
              redis.call('HINCRBY', tkey, 'running', 1)
              local weight = tonumber(redis.call('HGET', tkey, 'weight')) or 1
              if weight <= 0 then weight = 1 end
              redis.call('SET', B .. 'vtime', string.format('%.17g', pass))
              redis.call('HSET', tkey, 'pass', string.format('%.17g', pass + 1 / weight))
              redis.call('ZREM', B .. 'tenants', tenant)
              publish(ARGV[6], id, 'started')
              taken = taken + 1
              for _, value in ipairs({id, token, attempts, record[3], record[4], record[5], record[6],
                                       record[7], record[8], record[9], record[10] or '5', record[11] or '', record[13] or ''}) do
                out[#out + 1] = value
              end
            end
          end
          -- Back in line at its new pass, parked at its limit, or out when nothing is ready.
          activate(B, tenant)
        end
        if redis.call('ZCARD', B .. 'tenants') > 0 then redis.call('ZADD', B .. 'marker', 0, 'w') end
        local next_due = redis.call('ZRANGE', B .. 'scheduled', 0, 0, 'WITHSCORES')
        if next_due[2] then out[1] = tonumber(next_due[2]) end
        return out
        """)
}
