import Valkey

extension QueueScripts {
    static let cancelWaiting = ValkeyScript(name: "cancel_waiting", source: prelude + """
        --[[ cancel_waiting: every job waiting for a worker or for its retry ends `canceled` at once;
        running jobs are left alone.
        Invariant: as `cancel`, for each job: no id stays in `waiting`, a ready set or `scheduled`
        without its record saying so.
        KEYS[1] waiting (declared for routing; the other keys are built from B)
        ARGV[1] B  ARGV[2] now (ms)  ARGV[3] canceled ttl (ms)  ARGV[4] events channel
        A canceled job that others follow hands the work to its first follower, which enters
        `waiting` (`end_followers`): it is canceled in turn, so no job is left waiting.
        Returns the number of jobs canceled. ]]
        local B = ARGV[1]
        local function pending()
          local ids = redis.call('ZRANGE', B .. 'waiting', 0, -1)
          for _, id in ipairs(redis.call('ZRANGE', B .. 'scheduled', 0, -1)) do ids[#ids + 1] = id end
          return ids
        end
        local canceled = 0
        local ids = pending()
        while #ids > 0 do
          for _, id in ipairs(ids) do
            local key = B .. 'job:' .. id
            local record = redis.call('HMGET', key, 'status', 'tk')
            if record[1] == 'queued' or record[1] == 'scheduled' then
              drop_ready(B, id, record[2] or '-')
              redis.call('ZREM', B .. 'scheduled', id)
              finish(B, key, id, 'canceled', ARGV[2], ARGV[3], ARGV[4])
              canceled = canceled + 1
            else
              redis.call('ZREM', B .. 'waiting', id)
              redis.call('ZREM', B .. 'scheduled', id)
            end
          end
          ids = pending()
        end
        if canceled > 0 then redis.call('HINCRBY', B .. 'counters', 'canceled', canceled) end
        return canceled
        """)
}
