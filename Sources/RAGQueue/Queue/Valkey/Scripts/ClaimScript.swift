import Valkey

extension QueueScripts {
    /// Fields returned per claimed job, in order.
    static let claimStride = 10

    static let claim = ValkeyScript(name: "claim", source: prelude + """
        --[[ claim: a worker takes up to N waiting jobs, each with a lease and a fresh fencing token.
        Invariant: a job leaves `waiting` and enters `active` in the same step, so no crash between the
        two can lose it; tokens only grow, so a later attempt always outranks an earlier one.
        KEYS[1] waiting  KEYS[2] active  KEYS[3] marker  KEYS[4] scheduled  KEYS[5] fence
        ARGV[1] now (ms)  ARGV[2] lease (ms)  ARGV[3] worker id  ARGV[4] max jobs  ARGV[5] job key prefix
        ARGV[6] events channel
        Returns {next scheduled due time or -1, then per job: id, token, attempts, max attempts, kind,
        payload, created at, request id, tenant, enqueued at}. When jobs remain waiting it re-arms the
        marker so another idle worker wakes. ]]
        local now = tonumber(ARGV[1])
        local deadline = now + tonumber(ARGV[2])
        local wanted = tonumber(ARGV[4])
        promote_due(KEYS[4], KEYS[1], ARGV[5], now, 1000, ARGV[6])
        local out = {-1}
        local taken = 0
        local pops = 0
        while taken < wanted and pops < wanted + 1000 do
          local id = redis.call('RPOP', KEYS[1])
          if not id then break end
          pops = pops + 1
          local key = ARGV[5] .. id
          local record = redis.call('HMGET', key, 'status', 'attempts', 'max_attempts', 'kind', 'payload',
            'created_at', 'request_id', 'tenant', 'enqueued_at')
          -- An id whose record expired or was canceled is dropped here.
          if record[1] == 'queued' then
            local token = redis.call('INCR', KEYS[5])
            local attempts = tonumber(record[2]) + 1
            if attempts == 1 then
              redis.call('HSET', key, 'status', 'started', 'attempts', attempts, 'token', token,
                'worker', ARGV[3], 'started_at', now, 'lease_until', deadline, 'first_started_at', now)
            else
              redis.call('HSET', key, 'status', 'started', 'attempts', attempts, 'token', token,
                'worker', ARGV[3], 'started_at', now, 'lease_until', deadline)
            end
            redis.call('ZADD', KEYS[2], deadline, id)
            publish(ARGV[6], id, 'started')
            taken = taken + 1
            for _, value in ipairs({id, token, attempts, record[3], record[4], record[5], record[6],
                                     record[7], record[8], record[9]}) do
              out[#out + 1] = value
            end
          end
        end
        if redis.call('LLEN', KEYS[1]) > 0 then redis.call('ZADD', KEYS[3], 0, 'w') end
        local next_due = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
        if next_due[2] then out[1] = tonumber(next_due[2]) end
        return out
        """)
}
