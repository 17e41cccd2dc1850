import Valkey

extension QueueScripts {
    /// Arguments per job in `complete`, after the shared ones.
    static let completeStride = 9

    static let complete = ValkeyScript(name: "complete", source: prelude + """
        --[[ complete: lease holders store their jobs' results; each job ends `finished`. One call
        carries the completions a worker process had ready at once (ValkeyJobStore.complete), each
        checked and answered as if alone; what they repeat is written once (`gather`).
        Invariant: exactly one result per job. A write with a stale token (the lease expired and a
        newer attempt owns the job) is refused, so a stalled worker cannot overwrite it.
        KEYS[i] the i-th job's record
        ARGV[1] B  ARGV[2] now (ms)  ARGV[3] record ttl (ms)  ARGV[4] events channel  ARGV[5] index cap
        then per job, \(completeStride) each: id, token, result, stage timings (JSON), the attempt's usage (JSON
        counters), the question's embedding, packed ('' = none), the job whose answer it reused
        ('' = it ran), the questions' similarity, the reused answer's cost.
        A job with a place in the answer cache (`cache_key`) stores its answer there, with its id and
        cost, for `cache_ttl` ms (a reused answer keeps its producer's id and cost); with a semantic
        scope (`semantic`) and an embedding, it adds the question to the scope's index
        (`semantic:<scope>`: `answer` reference, `vector`). A reused answer marks the record
        (`cached_from`, `similarity`) and counts as a hit: `cache_hits`, `semantic_hits`, the cost saved,
        in the counters and the tenant's ledger. A job that finishes while the backends' circuit is
        half-open closes it.
        Returns one reply per job, in order: {0} stored; {1} this token had already stored it (a
        repeated call); {-1} record gone; {-2, status} stale token; {-3, status} job not running;
        {-4, status} job already ended. ]]
        local B, now, ttl, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        -- A call of one job writes as it goes: gathering pays only when there is more than one.
        if #KEYS > 1 then gather(now) end
        -- The replies for a stored completion and a repeated one, shared by every job of the call.
        local stored_reply, repeated_reply = {0}, {1}
        local function complete_one(key, id, token, result, timings, usage_json, vector, reused, similarity, reused_cost)
          -- One read: the lease check, the tenant and holder, the answer cache, then what `finish` needs.
          local head = redis.call('HMGET', key, 'status', 'token', 'tk', 'worker', 'cache_key', 'cache_ttl', 'semantic', unpack(finish_fields))
          local refused = refusal(head[1], head[2], token)
          if refused then
            if refused[1] == -4 and refused[2] == 'finished' then return repeated_reply end
            return count_refused(B, refused)
          end
          local tenant = head[3] or '-'
          leave_active(B, id, tenant, head[4])
          local usage = add_usage(B, key, tenant, usage_json)
          local extra = {'result', result, 'timings', timings}
          if reused ~= '' then
            extra[5], extra[6], extra[7], extra[8] = 'cached_from', reused, 'similarity', similarity
            local saved = tonumber(reused_cost) or 0
            for _, name in ipairs({'cache_hits', 'semantic_hits'}) do count(B, name, 1) end
            count(B, 'cache_saved_micro_usd', saved)
            count_usage(B, tenant, 'cache_hits', 1)
            count_usage(B, tenant, 'saved_micro_usd', saved)
          end
          finish(B, key, id, 'finished', now, ttl, channel, extra, head, 7)
          count(B, 'finished', 1)
          local cache_key, cache_ttl, scope = head[5], head[6], head[7]
          if cache_key and cache_key ~= '' then
            local job, cost = id, 0
            if usage == nil then
              local stored = redis.call('HGET', key, 'usage')
              if stored and stored ~= '' then usage = cjson.decode(stored) end
            end
            if usage then cost = tonumber(usage['cost_micro_usd']) or 0 end
            if reused ~= '' then job, cost = reused, tonumber(reused_cost) or 0 end
            redis.call('HSET', cache_key, 'result', result, 'job', job, 'cost', cost)
            redis.call('PEXPIRE', cache_key, cache_ttl)
            if scope and scope ~= '' and vector ~= '' then
              local index = B .. 'semantic:' .. scope
              redis.call('XADD', index, 'MAXLEN', '~', ARGV[5], '*', 'answer', string.sub(cache_key, #B + 8), 'vector', vector)
              redis.call('PEXPIRE', index, cache_ttl)
            end
          end
          return stored_reply
        end
        local replies = {}
        local stored = false
        for i = 1, #KEYS do
          local a = 5 + (i - 1) * \(completeStride)
          replies[i] = complete_one(KEYS[i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5],
            ARGV[a + 6], ARGV[a + 7], ARGV[a + 8], ARGV[a + 9])
          if replies[i][1] == 0 then stored = true end
        end
        if gathered then write_gathered(B, channel) end
        if stored then
          local open_until = redis.call('HGET', B .. 'circuit', 'open_until')
          if open_until and tonumber(open_until) <= tonumber(now) then redis.call('DEL', B .. 'circuit') end
        end
        return replies
        """)
}
