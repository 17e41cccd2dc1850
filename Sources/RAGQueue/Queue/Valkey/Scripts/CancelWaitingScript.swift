import Valkey

extension QueueScripts {
    static let cancelWaiting = ValkeyScript(name: "cancel_waiting", source: prelude + """
        --[[ cancel_waiting: every job waiting for a worker or for its retry ends `canceled` at once;
        running jobs are left alone.
        Invariant: as `cancel`, for each job: no id stays in `waiting` or `scheduled` without its record
        saying so.
        KEYS[1] waiting  KEYS[2] scheduled  KEYS[3] counters
        ARGV[1] now (ms)  ARGV[2] canceled ttl (ms)  ARGV[3] events channel  ARGV[4] job key prefix
        Returns the number of jobs canceled. ]]
        local ids = redis.call('LRANGE', KEYS[1], 0, -1)
        for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id end
        local canceled = 0
        for _, id in ipairs(ids) do
          local key = ARGV[4] .. id
          local status = redis.call('HGET', key, 'status')
          if status == 'queued' or status == 'scheduled' then
            finish(key, id, 'canceled', ARGV[1], ARGV[2], ARGV[3])
            canceled = canceled + 1
          end
        end
        redis.call('DEL', KEYS[1], KEYS[2])
        if canceled > 0 then redis.call('HINCRBY', KEYS[3], 'canceled', canceled) end
        return canceled
        """)
}
