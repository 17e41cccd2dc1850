import Valkey

extension QueueScripts {
    static let complete = ValkeyScript(name: "complete", source: prelude + """
        --[[ complete: the lease holder stores the job's result; the job ends `finished`.
        Invariant: exactly one result per job. A write with a stale token (the lease expired and a
        newer attempt owns the job) is refused, so a stalled worker cannot overwrite it.
        KEYS[1] job record
        ARGV[1] B  ARGV[2] id  ARGV[3] token  ARGV[4] now (ms)  ARGV[5] result  ARGV[6] stage timings (JSON)
        ARGV[7] record ttl (ms)  ARGV[8] events channel  ARGV[9] the attempt's usage (JSON counters)
        ARGV[10] the question's embedding, packed ('' = none)  ARGV[11] the job whose answer it reused
        ('' = it ran)  ARGV[12] the questions' similarity  ARGV[13] the reused answer's cost  ARGV[14] index cap
        A job with a place in the answer cache (`cache_key`) stores its answer there, with its id and
        cost, for `cache_ttl` ms (a reused answer keeps its producer's id and cost); with a semantic
        scope (`semantic`) and an embedding, it adds the question to the scope's index
        (`semantic:<scope>`: `answer` reference, `vector`). A reused answer marks the record
        (`cached_from`, `similarity`) and counts as a hit: `cache_hits`, `semantic_hits`, the cost saved,
        in the counters and the tenant's ledger. A job that finishes while the backends' circuit is
        half-open closes it.
        Returns {0} stored; {1} this token had already stored it (a repeated call); {-1} record gone;
        {-2, status} stale token; {-3, status} job not running; {-4, status} job already ended. ]]
        local B = ARGV[1]
        -- One read: the lease check, the tenant and holder, the answer cache, then what `finish` needs.
        local head = redis.call('HMGET', KEYS[1], 'status', 'token', 'tk', 'worker', 'cache_key', 'cache_ttl', 'semantic', unpack(finish_fields))
        local refused = refusal(head[1], head[2], ARGV[3])
        if refused then
          if refused[1] == -4 and refused[2] == 'finished' then return {1} end
          return count_refused(B, refused)
        end
        local tenant = head[3] or '-'
        leave_active(B, ARGV[2], tenant, head[4])
        local usage = add_usage(B, KEYS[1], tenant, ARGV[9])
        local extra = {'result', ARGV[5], 'timings', ARGV[6]}
        if ARGV[11] ~= '' then
          for _, value in ipairs({'cached_from', ARGV[11], 'similarity', ARGV[12]}) do extra[#extra + 1] = value end
          local saved = tonumber(ARGV[13]) or 0
          for _, name in ipairs({'cache_hits', 'semantic_hits'}) do redis.call('HINCRBY', B .. 'counters', name, 1) end
          redis.call('HINCRBY', B .. 'counters', 'cache_saved_micro_usd', saved)
          redis.call('HINCRBY', B .. 'usage:' .. tenant, 'cache_hits', 1)
          redis.call('HINCRBY', B .. 'usage:' .. tenant, 'saved_micro_usd', saved)
        end
        finish(B, KEYS[1], ARGV[2], 'finished', ARGV[4], ARGV[7], ARGV[8], extra, {unpack(head, 8)})
        redis.call('HINCRBY', B .. 'counters', 'finished', 1)
        local cache_key, cache_ttl, scope = head[5], head[6], head[7]
        if cache_key and cache_key ~= '' then
          local job, cost = ARGV[2], 0
          if usage == nil then
            local stored = redis.call('HGET', KEYS[1], 'usage')
            if stored and stored ~= '' then usage = cjson.decode(stored) end
          end
          if usage then cost = tonumber(usage['cost_micro_usd']) or 0 end
          if ARGV[11] ~= '' then job, cost = ARGV[11], tonumber(ARGV[13]) or 0 end
          redis.call('HSET', cache_key, 'result', ARGV[5], 'job', job, 'cost', cost)
          redis.call('PEXPIRE', cache_key, cache_ttl)
          if scope and scope ~= '' and ARGV[10] ~= '' then
            local index = B .. 'semantic:' .. scope
            redis.call('XADD', index, 'MAXLEN', '~', ARGV[14], '*', 'answer', string.sub(cache_key, #B + 8), 'vector', ARGV[10])
            redis.call('PEXPIRE', index, cache_ttl)
          end
        end
        local open_until = redis.call('HGET', B .. 'circuit', 'open_until')
        if open_until and tonumber(open_until) <= tonumber(ARGV[4]) then redis.call('DEL', B .. 'circuit') end
        return {0}
        """)
}
