import Valkey

extension QueueScripts {
    /// Keys and arguments per job in `enqueue`.
    static let enqueueKeyStride = 3
    static let enqueueStride = 27

    static let enqueue = ValkeyScript(name: "enqueue", source: prelude + """
        --[[ enqueue: new jobs enter the queue, each waiting for a worker in its tenant's ready set.
        One call carries the submits a process had ready at once (ValkeyJobStore.enqueue), each
        handled in turn as if alone (`enqueue_one`, whose KEYS and ARGV are the job's own, below), so
        a later one sees what an earlier one wrote (its idempotency key, its place in the queue).
        Invariant: a job id is in `waiting` and `ready:<tenant>` only while its record says `queued`;
        with an idempotency key, one key maps to one job for as long as that job's record lives; a
        budget never has more reserved and spent than its limit because of an enqueue.
        KEYS[1] job record   KEYS[2] idempotency key (unused when ARGV[9] is 0)   KEYS[3] budget period
        (unused when ARGV[15] is '')
        ARGV[1] B (key prefix)  ARGV[2] id  ARGV[3] kind  ARGV[4] payload  ARGV[5] now (ms)  ARGV[6] max attempts
        ARGV[7] request id  ARGV[8] tenant  ARGV[9] has idempotency key (0|1)  ARGV[10] idempotency ttl (ms)
        ARGV[11] max depth (0 = none)  ARGV[12] priority  ARGV[13] priority step (ms)  ARGV[14] tenant weight ('' keeps the
        stored one)  ARGV[15] tenant concurrency limit ('' keeps it, 0 = none)  ARGV[16] budget unit ('' = no
        budget)  ARGV[17] budget limit  ARGV[18] amount to reserve  ARGV[19] ms until the budget period ends
        ARGV[20] answer cache key without the version ('' = no cache)  ARGV[21] collection
        ARGV[22] answer cache ttl (ms)  ARGV[23] may a cached answer answer it (0|1)  ARGV[24] record ttl of an ended job (ms)
        ARGV[25] semantic cache scope without the version ('' = none)  ARGV[26] events channel
        ARGV[27] the enqueuing span's W3C traceparent ('' = none), handed to the worker with the job
        The answer cache: the key gets the collection's version (`collections` hash, bumped by every
        ingest), so no answer retrieved before an ingest answers after it. A cached answer makes the
        job `finished` at once, with the answer and the id of the job that produced it (`cached_from`);
        no worker, budget or depth limit is involved; the tenant's ledger counts the hit and the
        cost saved (`cache_hits`, `saved_micro_usd`).
        The same question waiting or running (`<answer key>:<version>:leader`) makes the job its
        follower instead: `queued` with `leader`, in `followers:<leader>`, never claimed; it ends
        as its leader ends (`end_followers`).
        Returns {0, id} for a new job; {1, existing id} for a repeated idempotency key; {2, id} for a
        job answered from the cache; {3, id} for a job that follows the same question in flight;
        {-5, depth, retry after (ms)} when the queue is full, the wait from the measured rate of ends;
        {-6, ms until the period ends} when the tenant's budget cannot cover the reservation.
        The call returns one such reply per job, in order. ]]
        local function enqueue_one(KEYS, ARGV)
          local B, id, now, tenant = ARGV[1], ARGV[2], tonumber(ARGV[5]), ARGV[8]
          if ARGV[9] == '1' then
            local existing = redis.call('GET', KEYS[2])
            if existing then return {1, existing} end
          end
          local tk = tenant
          if tk == '' then tk = '-' end
          -- The idempotency key, when there is one, now names this job for `ttl` ms; returns the key.
          local function claim_idempotency(ttl)
            if ARGV[9] ~= '1' then return '' end
            redis.call('SET', KEYS[2], id, 'PX', ttl)
            return KEYS[2]
          end
          -- Every new job, whichever way it starts: its tenant is known (already, when `known`), it is
          -- listed among the recent jobs (`recent`, by creation time) and counted. Returns the count of
          -- jobs enqueued so far, whose last digits keep jobs of one millisecond in order (EnqueueRequest.rank).
          -- (A call of several jobs writes `recent` and the count once for all: `write_gathered`.)
          local function created(known)
            if not known then redis.call('SADD', B .. 'tenant-names', tk) end
            if not gathered then
              redis.call('ZADD', B .. 'recent', now, id)
              return redis.call('HINCRBY', B .. 'counters', 'enqueued', 1)
            end
            table.insert(gathered_part('recent'), now)
            table.insert(gathered_part('recent'), id)
            if gathered.enqueued_before == nil then
              gathered.enqueued_before = tonumber(redis.call('HGET', B .. 'counters', 'enqueued')) or 0
            end
            local counters = gathered_part('counters')
            counters.enqueued = (counters.enqueued or 0) + 1
            return gathered.enqueued_before + counters.enqueued
          end
          local cache_key = ''
          local semantic = ''
          if ARGV[20] ~= '' then
            local version = redis.call('HGET', B .. 'collections', ARGV[21]) or '0'
            cache_key = B .. 'answer:' .. ARGV[20] .. ':' .. version
            if ARGV[25] ~= '' then semantic = ARGV[25] .. ':' .. version end
            local hit = {}
            if ARGV[23] == '1' then hit = redis.call('HMGET', cache_key, 'result', 'job', 'cost') end
            if hit[1] then
              local idem_key = claim_idempotency(ARGV[24])
              redis.call('HSET', KEYS[1], 'id', id, 'kind', ARGV[3], 'payload', ARGV[4], 'status', 'finished',
                'attempts', 0, 'max_attempts', ARGV[6], 'created_at', now, 'enqueued_at', now, 'ended_at', now,
                'request_id', ARGV[7], 'tenant', tenant, 'tk', tk, 'idem_key', idem_key, 'token', 0,
                'priority', ARGV[12], 'result', hit[1], 'cached_from', hit[2], 'ends', 1,
                'history', noted(nil, now, 'created') .. noted(nil, now, 'finished cached_from ' .. hit[2]))
              redis.call('PEXPIRE', KEYS[1], ARGV[24])
              created()
              redis.call('HINCRBY', B .. 'counters', 'finished', 1)
              redis.call('HINCRBY', B .. 'counters', 'cache_hits', 1)
              redis.call('HINCRBY', B .. 'counters', 'cache_saved_micro_usd', tonumber(hit[3]) or 0)
              redis.call('HINCRBY', B .. 'usage:' .. tk, 'cache_hits', 1)
              redis.call('HINCRBY', B .. 'usage:' .. tk, 'saved_micro_usd', tonumber(hit[3]) or 0)
              -- Nobody waits on this id yet; the end is announced for those who count ends (observeEnds).
              publish_end(ARGV[26], id, 'finished', now, now, nil)
              return {2, id}
            end
            -- In-flight coalescing: the same question waiting or running attaches this job to it.
            local leader = nil
            if ARGV[23] == '1' then leader = redis.call('GET', cache_key .. ':leader') end
            local leader_status = nil
            if leader then leader_status = redis.call('HGET', B .. 'job:' .. leader, 'status') end
            if leader_status == 'queued' or leader_status == 'started' or leader_status == 'scheduled' then
              local idem_key = claim_idempotency(ARGV[10])
              local sequence = created()
              local rank = (now - tonumber(ARGV[12]) * tonumber(ARGV[13])) * 1000 + sequence % 1000
              redis.call('HSET', KEYS[1], 'id', id, 'kind', ARGV[3], 'payload', ARGV[4], 'status', 'queued',
                'attempts', 0, 'max_attempts', ARGV[6], 'created_at', now, 'enqueued_at', now,
                'request_id', ARGV[7], 'tenant', tenant, 'tk', tk, 'idem_key', idem_key, 'token', 0,
                'priority', ARGV[12], 'rank', string.format('%.0f', rank), 'leader', leader, 'traceparent', ARGV[27],
                'cache_key', cache_key, 'cache_ttl', ARGV[22], 'semantic', semantic,
                'history', noted(nil, now, 'created') .. noted(nil, now, 'follows ' .. leader))
              -- A follower spends and reserves nothing; should it take over from its leader, it
              -- reserves `hold` then, and what it spends counts in this budget period.
              if ARGV[16] ~= '' then
                redis.call('HSET', KEYS[1], 'budget', KEYS[3], 'budget_unit', ARGV[16], 'reserved', 0, 'hold', ARGV[18])
              end
              redis.call('SADD', B .. 'followers:' .. leader, id)
              redis.call('HINCRBY', B .. 'counters', 'coalesced', 1)
              return {3, id}
            end
          end
          local max_depth = tonumber(ARGV[11])
          if max_depth > 0 then
            local depth = redis.call('ZCARD', B .. 'waiting') + redis.call('ZCARD', B .. 'scheduled')
            if gathered then depth = depth + #gathered_part('waiting') / 2 end
            if depth >= max_depth then
              local per_second = ends_per_second(B, now)
              local wait = 30000
              if per_second > 0.01 then wait = math.ceil((depth - max_depth + 1) / per_second * 1000) end
              return {-5, tostring(depth), math.max(1000, math.min(wait, 300000))}
            end
          end
          if ARGV[16] ~= '' then
            local budget = redis.call('HMGET', KEYS[3], 'reserved', 'spent')
            local used = (tonumber(budget[1]) or 0) + (tonumber(budget[2]) or 0)
            if used + tonumber(ARGV[18]) > tonumber(ARGV[17]) then return {-6, ARGV[19]} end
            redis.call('HINCRBY', KEYS[3], 'reserved', ARGV[18])
            redis.call('HSET', KEYS[3], 'limit', ARGV[17])
            redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[19]) + 86400000)
          end
          local idem_key = claim_idempotency(ARGV[10])
          local budget_key = ''
          if ARGV[16] ~= '' then budget_key = KEYS[3] end
          -- A tenant in line for claims, or with a job earlier in this call, was named before.
          local known = (gathered and gathered_part('ready')[tk] ~= nil) or redis.call('ZSCORE', B .. 'tenants', tk)
          -- EnqueueRequest.rank: creation time minus priority steps, then the sequence in the last digits.
          local sequence = created(known)
          local rank = (now - tonumber(ARGV[12]) * tonumber(ARGV[13])) * 1000 + sequence % 1000
          local fields = {'id', id, 'kind', ARGV[3], 'payload', ARGV[4], 'status', 'queued',
            'attempts', 0, 'max_attempts', ARGV[6], 'created_at', now, 'enqueued_at', now,
            'request_id', ARGV[7], 'tenant', tenant, 'tk', tk, 'token', 0,
            'priority', ARGV[12], 'rank', string.format('%.0f', rank), 'history', noted(nil, now, 'created')}
          -- Settings a job may not have are left out rather than written empty (every reader takes a
          -- missing field for ''): each argument costs the script, and most jobs have few of them.
          -- Adds the field/value pairs of a setting when the job has it (`present`).
          local function setting(present, ...)
            if present then for _, value in ipairs({...}) do fields[#fields + 1] = value end end
          end
          setting(idem_key ~= '', 'idem_key', idem_key)
          setting(budget_key ~= '', 'budget', budget_key, 'budget_unit', ARGV[16], 'reserved', ARGV[18])
          setting(cache_key ~= '', 'cache_key', cache_key, 'cache_ttl', ARGV[22])
          setting(semantic ~= '', 'semantic', semantic)
          setting(ARGV[27] ~= '', 'traceparent', ARGV[27])
          redis.call('HSET', KEYS[1], unpack(fields))
          local policy = {}
          if ARGV[14] ~= '' then policy[#policy + 1] = 'weight'; policy[#policy + 1] = ARGV[14] end
          if ARGV[15] ~= '' then policy[#policy + 1] = 'limit'; policy[#policy + 1] = ARGV[15] end
          if #policy > 0 then redis.call('HSET', B .. 'tenant:' .. tk, unpack(policy)) end
          if cache_key ~= '' then redis.call('SET', cache_key .. ':leader', id) end
          if not gathered then
            push_ready(B, id, tk, rank, now, known)
            redis.call('ZADD', B .. 'marker', 0, 'w')
            return {0, id}
          end
          -- Into the tenant's ready set and the waiting index, at the end of the call (below).
          if gathered_part('ready')[tk] == nil then gathered_part('in_line')[tk] = known end
          local entries, waiting = gathered_part('ready', tk), gathered_part('waiting')
          entries[#entries + 1], entries[#entries + 2] = rank, id
          waiting[#waiting + 1], waiting[#waiting + 2] = now, id
          gathered.wake = true
          -- No event: nobody can be waiting on an id that did not exist a moment ago, and it has not ended.
          return {0, id}
        end
        -- With several jobs, what every job writes alike is gathered and written once
        -- (`write_gathered`): the `waiting` and `recent` entries, the count of enqueued jobs, the
        -- marker, the events. A call of one job writes as it goes.
        -- A call of one job (as the api's submits at a steady rate mostly are) takes it as it came.
        if #KEYS == \(enqueueKeyStride) then return {enqueue_one(KEYS, ARGV)} end
        gather(ARGV[5])
        local replies = {}
        for i = 1, #KEYS / \(enqueueKeyStride) do
          local k, a = (i - 1) * \(enqueueKeyStride), (i - 1) * \(enqueueStride)
          replies[i] = enqueue_one({unpack(KEYS, k + 1, k + \(enqueueKeyStride))}, {unpack(ARGV, a + 1, a + \(enqueueStride))})
        end
        -- Each tenant's new jobs enter its ready set; a tenant that was not in line for claims is
        -- put in line (or parked in `blocked` at its limit: `activate`, once its jobs are ready).
        local B = ARGV[1]
        for tenant, entries in pairs(gathered_part('ready')) do
          each_slice(entries, 1000, function(...) redis.call('ZADD', B .. 'ready:' .. tenant, ...) end)
          if not gathered_part('in_line')[tenant] then activate(B, tenant) end
        end
        write_gathered(B, ARGV[26])
        return replies
        """)
}
