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
        -- The events (`started`, and `queued` for promoted retries) go out as one message.
        gather(now)
        -- The earliest scheduled retry: when it is not yet due (or there is none), it is also the
        -- reply's next due time, and there is nothing to promote.
        local first_due = redis.call('ZRANGE', B .. 'scheduled', 0, 0, 'WITHSCORES')
        local promoted = first_due[2] and tonumber(first_due[2]) <= now
        if promoted then promote_due(B, now, 1000, ARGV[6]) end
        local out = {-1}
        local taken = 0
        local visits = 0
        -- What the loop changes is kept here and written once at the end: each tenant's state
        -- (`running`, `pass`), the ids leaving `waiting`, those entering `active` and the worker's
        -- `held` set and the virtual time. (The fencing counter moves as ids are popped; `fence` is
        -- the last token given.)
        local tenants = {}
        local popped_ids, claimed_ids, active_entries = {}, {}, {}
        local fence = 0
        local served = nil
        while taken < wanted and visits < wanted + 1000 do
          -- The tenant at the head of the line and the one after it: the head is served for as
          -- long as its pass stays below the next one's (at a tie the line is read again, and the
          -- sorted set's order by name decides), so a run of claims of one tenant costs one look
          -- at the line.
          local head = redis.call('ZRANGE', B .. 'tenants', 0, 1, 'WITHSCORES')
          if not head[1] then break end
          local tenant, pass = head[1], tonumber(head[2])
          local next_tenant, next_pass = head[3], tonumber(head[4])
          local t = tenants[tenant]
          if not t then
            local state = redis.call('HMGET', B .. 'tenant:' .. tenant, 'weight', 'limit', 'running')
            t = {weight = tonumber(state[1]) or 1, limit = tonumber(state[2]) or 0, running = tonumber(state[3]) or 0}
            if t.weight <= 0 then t.weight = 1 end
            tenants[tenant] = t
          end
          local ready_key = B .. 'ready:' .. tenant
          if t.limit > 0 and t.running >= t.limit then
            -- Its limit dropped while it waited in line (an enqueue set a lower one): it waits in
            -- `blocked` until a job of its ends.
            visits = visits + 1
            redis.call('ZREM', B .. 'tenants', tenant)
            redis.call('SADD', B .. 'blocked', tenant)
          else
            -- How many claims in a row are its: each moves its pass on by 1 / weight.
            local room = wanted - taken
            if t.limit > 0 then room = math.min(room, t.limit - t.running) end
            local run, p = 1, pass + 1 / t.weight
            while run < room and (not next_tenant or p < next_pass) do
              run = run + 1
              p = p + 1 / t.weight
            end
            local popped = redis.call('ZPOPMIN', ready_key, run)
            visits = visits + math.max(1, #popped / 2)
            -- A fencing token for each popped id, taken in one step (the ids dropped below leave
            -- gaps: tokens only need to grow).
            local popped_count = #popped / 2
            if popped_count > 0 then fence = redis.call('INCRBY', KEYS[1], popped_count) - popped_count end
            p = pass
            for i = 1, #popped, 2 do
              local id = popped[i]
              popped_ids[#popped_ids + 1] = id
              local key = B .. 'job:' .. id
              local record = redis.call('HMGET', key, 'status', 'attempts', 'max_attempts', 'kind', 'payload',
                'created_at', 'request_id', 'tenant', 'enqueued_at', 'priority', 'semantic', 'history', 'traceparent')
              fence = fence + 1
              -- An id whose record expired or was canceled is dropped here, at no cost to its tenant.
              if record[1] == 'queued' then
                local attempts = tonumber(record[2]) + 1
                -- Arguments straight to the commands and to `out`: a table built only to be
                -- unpacked or copied costs the script more than the command's own work.
                local history = noted(record[12], now, 'started ' .. ARGV[4] .. ' ' .. attempts)
                if attempts == 1 then
                  redis.call('HSET', key, 'status', 'started', 'attempts', attempts, 'token', fence, 'worker', ARGV[4],
                    'started_at', now, 'lease_until', deadline, 'history', history, 'first_started_at', now)
                else
                  redis.call('HSET', key, 'status', 'started', 'attempts', attempts, 'token', fence, 'worker', ARGV[4],
                    'started_at', now, 'lease_until', deadline, 'history', history)
                end
                claimed_ids[#claimed_ids + 1] = id
                active_entries[#active_entries + 1] = deadline
                active_entries[#active_entries + 1] = id
                t.running = t.running + 1
                served = p
                p = p + 1 / t.weight
                t.pass = p
                publish(ARGV[6], id, 'started')
                taken = taken + 1
                local o = #out
                out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = id, fence, attempts, record[3], record[4]
                out[o + 6], out[o + 7], out[o + 8], out[o + 9], out[o + 10] = record[5], record[6], record[7], record[8], record[9]
                out[o + 11], out[o + 12], out[o + 13] = record[10] or '5', record[11] or '', record[13] or ''
              end
            end
            -- Back in line at its new pass, parked at its limit, or out when nothing is ready (the
            -- same decisions as `activate`, from the state kept above).
            if #popped < 2 * run or redis.call('ZCARD', ready_key) == 0 then
              redis.call('ZREM', B .. 'tenants', tenant)
            elseif t.limit > 0 and t.running >= t.limit then
              redis.call('ZREM', B .. 'tenants', tenant)
              redis.call('SADD', B .. 'blocked', tenant)
            elseif p ~= pass then
              redis.call('ZADD', B .. 'tenants', string.format('%.17g', p), tenant)
            end
          end
        end
        each_slice(popped_ids, 500, function(...) redis.call('ZREM', B .. 'waiting', ...) end)
        each_slice(active_entries, 1000, function(...) redis.call('ZADD', B .. 'active', ...) end)
        each_slice(claimed_ids, 500, function(...) redis.call('SADD', B .. 'held:' .. ARGV[4], ...) end)
        if served then redis.call('SET', B .. 'vtime', string.format('%.17g', served)) end
        for tenant, t in pairs(tenants) do
          if t.pass then
            redis.call('HSET', B .. 'tenant:' .. tenant, 'running', t.running, 'pass', string.format('%.17g', t.pass))
          end
        end
        write_gathered(B, ARGV[6])
        if redis.call('ZCARD', B .. 'tenants') > 0 then redis.call('ZADD', B .. 'marker', 0, 'w') end
        if promoted then first_due = redis.call('ZRANGE', B .. 'scheduled', 0, 0, 'WITHSCORES') end
        if first_due[2] then out[1] = tonumber(first_due[2]) end
        return out
        """)
}
