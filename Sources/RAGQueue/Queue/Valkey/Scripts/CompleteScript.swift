import Valkey

extension QueueScripts {
    static let complete = ValkeyScript(name: "complete", source: prelude + """
        --[[ complete: the lease holder stores the job's result; the job ends `finished`.
        Invariant: exactly one result per job. A write with a stale token (the lease expired and a
        newer attempt owns the job) is refused, so a stalled worker cannot overwrite it.
        KEYS[1] job record  KEYS[2] active  KEYS[3] counters
        ARGV[1] id  ARGV[2] token  ARGV[3] now (ms)  ARGV[4] result  ARGV[5] stage timings (JSON)
        ARGV[6] record ttl (ms)  ARGV[7] events channel
        Returns {0} stored; {1} this token had already stored it (a repeated call); {-1} record gone;
        {-2, status} stale token; {-3, status} job not running; {-4, status} job already ended. ]]
        local refused = check_holder(KEYS[1], ARGV[2])
        if refused then
          if refused[1] == -4 and refused[2] == 'finished' then return {1} end
          return count_refused(KEYS[3], refused)
        end
        redis.call('ZREM', KEYS[2], ARGV[1])
        finish(KEYS[1], ARGV[1], 'finished', ARGV[3], ARGV[6], ARGV[7], {'result', ARGV[4], 'timings', ARGV[5]})
        redis.call('HINCRBY', KEYS[3], 'finished', 1)
        return {0}
        """)
}
