import Valkey

extension QueueScripts {
    static let renew = ValkeyScript(name: "renew", source: prelude + """
        --[[ renew: a worker extends the leases of the jobs it holds, in one step for all of them.
        Invariant: only the holder of the current token extends a lease; a job reclaimed from a
        stalled worker stays with its new holder.
        KEYS[1] active
        ARGV[1] now (ms)  ARGV[2] lease (ms)  ARGV[3] job key prefix  ARGV[4..] pairs of id, token
        Returns one code per pair: 0 renewed, 1 renewed and a cancel was requested,
        -1 record gone, -2 lease lost to a newer attempt, -4 the job has ended. ]]
        local deadline = tonumber(ARGV[1]) + tonumber(ARGV[2])
        local out = {}
        for i = 4, #ARGV, 2 do
          local id, token = ARGV[i], ARGV[i + 1]
          local key = ARGV[3] .. id
          local refused = check_holder(key, token)
          if refused then
            out[#out + 1] = refused[1]
          else
            redis.call('ZADD', KEYS[1], 'XX', deadline, id)
            redis.call('HSET', key, 'lease_until', deadline)
            if redis.call('HGET', key, 'cancel') == '1' then out[#out + 1] = 1 else out[#out + 1] = 0 end
          end
        end
        return out
        """)
}
