import Valkey

extension QueueScripts {
    static let stats = ValkeyScript(name: "stats", source: endsRate + """
        --[[ stats: a consistent snapshot of the queue's sizes. Read-only.
        KEYS[1] waiting (declared for routing; the other keys are built from B)
        ARGV[1] B  ARGV[2] now (ms)
        Returns {waiting, active, scheduled, failed, oldest waiting job's enqueue time or -1, live
        workers, expired leases, tenants with ready jobs, jobs ended per second (30 s average),
        counter name, value, ...}. ]]
        local B, now = ARGV[1], tonumber(ARGV[2])
        local oldest = -1
        local head = redis.call('ZRANGE', B .. 'waiting', 0, 0, 'WITHSCORES')
        if head[2] then oldest = tonumber(head[2]) end
        local per_second = ends_per_second(B, now)
        local out = {redis.call('ZCARD', B .. 'waiting'), redis.call('ZCARD', B .. 'active'), redis.call('ZCARD', B .. 'scheduled'),
          redis.call('ZCARD', B .. 'failed'), oldest, redis.call('ZCOUNT', B .. 'workers', '(' .. now, '+inf'),
          redis.call('ZCOUNT', B .. 'active', '-inf', now),
          redis.call('ZCARD', B .. 'tenants') + redis.call('SCARD', B .. 'blocked'), tostring(per_second)}
        for _, value in ipairs(redis.call('HGETALL', B .. 'counters')) do out[#out + 1] = value end
        return out
        """)
}
