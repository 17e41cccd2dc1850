import Valkey

extension QueueScripts {
    static let stats = ValkeyScript(name: "stats", source: """
        --[[ stats: a consistent snapshot of the queue's sizes. Read-only.
        KEYS[1] waiting  KEYS[2] active  KEYS[3] scheduled  KEYS[4] failed  KEYS[5] workers
        KEYS[6] counters
        ARGV[1] now (ms)  ARGV[2] job key prefix
        Returns {waiting, active, scheduled, failed, oldest waiting job's enqueue time or -1,
        live workers, expired leases, counter name, value, ...}. ]]
        local now = tonumber(ARGV[1])
        local oldest = -1
        local tail = redis.call('LINDEX', KEYS[1], -1)
        if tail then
          local at = redis.call('HGET', ARGV[2] .. tail, 'enqueued_at')
          if at then oldest = tonumber(at) end
        end
        local out = {redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
          redis.call('ZCARD', KEYS[4]), oldest, redis.call('ZCOUNT', KEYS[5], '(' .. now, '+inf'),
          redis.call('ZCOUNT', KEYS[2], '-inf', now)}
        for _, value in ipairs(redis.call('HGETALL', KEYS[6])) do out[#out + 1] = value end
        return out
        """)
}
