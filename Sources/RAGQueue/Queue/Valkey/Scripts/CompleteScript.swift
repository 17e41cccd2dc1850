import Valkey

extension QueueScripts {
    static let complete = ValkeyScript(name: "complete", source: prelude + """
        --[[ complete: the lease holder stores the job's result; the job ends `finished`.
        Invariant: exactly one result per job. A write with a stale token (the lease expired and a
        newer attempt owns the job) is refused, so a stalled worker cannot overwrite it.
        KEYS[1] job record
        ARGV[1] B  ARGV[2] id  ARGV[3] token  ARGV[4] now (ms)  ARGV[5] result  ARGV[6] stage timings (JSON)
        ARGV[7] record ttl (ms)  ARGV[8] events channel  ARGV[9] the attempt's usage (JSON counters)
        A job that finishes while the backends' circuit is half-open closes it.
        Returns {0} stored; {1} this token had already stored it (a repeated call); {-1} record gone;
        {-2, status} stale token; {-3, status} job not running; {-4, status} job already ended. ]]
        local B = ARGV[1]
        local refused = check_holder(KEYS[1], ARGV[3])
        if refused then
          if refused[1] == -4 and refused[2] == 'finished' then return {1} end
          return count_refused(B, refused)
        end
        local tenant = redis.call('HGET', KEYS[1], 'tk') or '-'
        leave_active(B, ARGV[2], tenant)
        add_usage(B, KEYS[1], tenant, ARGV[9])
        finish(B, KEYS[1], ARGV[2], 'finished', ARGV[4], ARGV[7], ARGV[8], {'result', ARGV[5], 'timings', ARGV[6]})
        redis.call('HINCRBY', B .. 'counters', 'finished', 1)
        local open_until = redis.call('HGET', B .. 'circuit', 'open_until')
        if open_until and tonumber(open_until) <= tonumber(ARGV[4]) then redis.call('DEL', B .. 'circuit') end
        return {0}
        """)
}
