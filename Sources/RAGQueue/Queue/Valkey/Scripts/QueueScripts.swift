import Valkey

/// The queue's Lua scripts: one per atomic state change, each opening with its contract.
///
/// Callers pass `now` (ms since the epoch) and the lease token; no script reads the server's clock,
/// so every process agrees on time through its own clock and tests can drive time. Return codes are
/// shared by all scripts and mapped to Swift errors in one place, `ScriptCode`.
///
/// Keys of one queue share the prefix `B` (`{<prefix>:<queue>}:`, passed as an argument); the
/// per-tenant keys below are built from it inside the scripts, so they stay in the queue's slot.
enum QueueScripts {
    /// Jobs ended per second, exponentially weighted over 30 s (the admission `Retry-After`, the
    /// stats): the sum over ends of e^(-(now - end) / 30 s) / 30. Kept as e^((end - epoch) / 30 s) / 30
    /// added into a field per 10-minute epoch of `throughput`, so ends add with one command
    /// without reading anything, and a reader scales each epoch's sum to now. The first end of an
    /// epoch drops the fields of epochs before the previous one (weights below e^-20).
    static let endsRate = """
        local function count_end(B, now, ends)
          local epoch = now - now % 600000
          local weight = math.exp((now - epoch) / 30000) / 30 * (ends or 1)
          local sum = tonumber(redis.call('HINCRBYFLOAT', B .. 'throughput', epoch, weight))
          if sum and sum < weight * 1.000001 then
            for _, field in ipairs(redis.call('HKEYS', B .. 'throughput')) do
              if not (tonumber(field) and tonumber(field) >= epoch - 600000) then redis.call('HDEL', B .. 'throughput', field) end
            end
          end
        end
        local function ends_per_second(B, now)
          local fields = redis.call('HGETALL', B .. 'throughput')
          local rate = 0
          for i = 1, #fields, 2 do
            local epoch = tonumber(fields[i])
            if epoch then rate = rate + (tonumber(fields[i + 1]) or 0) * math.exp(math.min(0, epoch - now) / 30000) end
          end
          return rate
        end

        """

    /// Lua helpers shared by several scripts, pasted at their top (scripts cannot call each other).
    ///
    /// Scheduling (docs/queue.md, "Fair share and priorities"): each tenant's queued jobs wait in
    /// `ready:<tenant>`, a ZSET ordered by rank (creation time minus priority x the priority step,
    /// so higher priority goes first and age always wins in the end). Tenants with ready jobs and
    /// room under their concurrency limit wait in `tenants`, a ZSET ordered by pass (stride
    /// scheduling): a claim serves the tenant of lowest pass, then advances its pass by 1 / weight.
    /// A tenant that becomes active again starts at the virtual time `vtime` (the pass last served),
    /// so idling earns no credit. A tenant at its limit waits in `blocked` until a job of its ends.
    /// `waiting` indexes every queued job by the time it entered, for depth and oldest wait.
    static let prelude = endsRate + """
        -- A script that enters, starts or ends many jobs in one call (enqueue, claim, complete)
        -- gathers what each job would otherwise write by itself, and writes it once before it
        -- returns (`write_gathered`): the event messages, published as one message of lines
        -- (ValkeyJobEvents reads each line); the ends, counted in the throughput estimate; the
        -- `counters`; the jobs leaving `active`, by tenant and by holder; the usage, by tenant ledger
        -- and by budget period; the enqueue's `waiting` and `recent` entries and its wake-up of the
        -- workers (`wake`, the marker; the enqueue writes its ready sets itself, before this).
        -- Nil when the script writes as it goes.
        local gathered = nil
        local function gather(now)
          gathered = {now = now, ends = 0}
        end

        -- The list or map `name` of what is gathered (or its entry `key`, a list or map too), made
        -- on first use: a call of one job makes only the few it needs (each table costs the script
        -- an allocation or more).
        local function gathered_part(name, key)
          local part = gathered[name]
          if part == nil then
            part = {}
            gathered[name] = part
          end
          if key == nil then return part end
          local entry = part[key]
          if entry == nil then
            entry = {}
            part[key] = entry
          end
          return entry
        end

        -- Variadic commands take their arguments on the Lua stack: `write` gets `list` in slices of
        -- `size` (even for field/value or score/member pairs), however many jobs.
        local function each_slice(list, size, write)
          for first = 1, #list, size do write(unpack(list, first, math.min(#list, first + size - 1))) end
        end

        -- Adds `amount` to `map[name]` (a table of counts), creating the entry.
        local function tally(map, name, amount)
          map[name] = (map[name] or 0) + amount
        end

        -- Adds `amount` to the counter `name` of `counters`, or gathers it.
        local function count(B, name, amount)
          if gathered then
            tally(gathered_part('counters'), name, amount)
          else
            redis.call('HINCRBY', B .. 'counters', name, amount)
          end
        end

        -- Adds `amount` to the counter `name` of the tenant's ledger `usage:<tenant>`, or gathers it.
        local function count_usage(B, tenant, name, amount)
          if gathered then
            tally(gathered_part('ledger', tenant), name, amount)
          else
            redis.call('HINCRBY', B .. 'usage:' .. tenant, name, amount)
          end
        end

        -- `line` on the events channel now, or gathered for the one message at the end.
        local function emit(channel, line)
          if gathered then
            table.insert(gathered_part('lines'), line)
          else
            redis.call('PUBLISH', channel, line)
          end
        end

        local function publish(channel, id, status)
          emit(channel, id .. ' ' .. status)
        end

        -- The job's history (`JobRecord.history`): a line `<ms> <step> [detail ...]` per step, the
        -- oldest dropped past 4 KB. `noted` returns the field with a line added, for a caller that
        -- writes the record anyway; `note` adds one by itself.
        local function noted(history, now, line)
          local text = (history or '') .. now .. ' ' .. line .. '\\n'
          if #text > 4096 then text = string.sub(text, (string.find(text, '\\n', #text - 3072, true) or 0) + 1) end
          return text
        end

        local function note(key, now, line)
          redis.call('HSET', key, 'history', noted(redis.call('HGET', key, 'history'), now, line))
        end

        -- Announces a job's end with its times (JobStore.observeEnds): `<id> <status> <queue wait ms,
        -- -1 if it never started> <total ms>`.
        local function publish_end(channel, id, status, now, created, first_started)
          local wait = -1
          if first_started and created then wait = math.max(0, tonumber(first_started) - tonumber(created)) end
          emit(channel, string.format('%s %s %d %d', id, status, wait, math.max(0, tonumber(now) - (tonumber(created) or now))))
        end

        -- Makes `tenant` eligible for claims when it has ready jobs and room under its limit, or
        -- parks it in `blocked`, or drops it when it has nothing ready.
        local function activate(B, tenant)
          if redis.call('ZCARD', B .. 'ready:' .. tenant) == 0 then
            redis.call('ZREM', B .. 'tenants', tenant)
            redis.call('SREM', B .. 'blocked', tenant)
            return
          end
          local state = redis.call('HMGET', B .. 'tenant:' .. tenant, 'pass', 'running', 'limit')
          local running, limit = tonumber(state[2]) or 0, tonumber(state[3]) or 0
          if limit > 0 and running >= limit then
            redis.call('ZREM', B .. 'tenants', tenant)
            redis.call('SADD', B .. 'blocked', tenant)
            return
          end
          redis.call('SREM', B .. 'blocked', tenant)
          if redis.call('ZSCORE', B .. 'tenants', tenant) then return end
          local pass = math.max(tonumber(state[1]) or 0, tonumber(redis.call('GET', B .. 'vtime')) or 0)
          redis.call('HSET', B .. 'tenant:' .. tenant, 'pass', string.format('%.17g', pass))
          redis.call('ZADD', B .. 'tenants', string.format('%.17g', pass), tenant)
        end

        -- A queued job enters its tenant's ready set and the waiting index. A tenant already in
        -- `tenants` stays as it is (`active`: its score there, when the caller has read it): it is
        -- not blocked, and should its limit have dropped meanwhile the claim parks it.
        local function push_ready(B, id, tenant, rank, now, active)
          redis.call('ZADD', B .. 'ready:' .. tenant, rank, id)
          redis.call('ZADD', B .. 'waiting', now, id)
          if active == nil then active = redis.call('ZSCORE', B .. 'tenants', tenant) end
          if not active then activate(B, tenant) end
        end

        -- A queued job leaves the ready sets without running (canceled).
        local function drop_ready(B, id, tenant)
          redis.call('ZREM', B .. 'ready:' .. tenant, id)
          redis.call('ZREM', B .. 'waiting', id)
          activate(B, tenant)
        end

        -- Jobs of `tenant` leave `active` (their ids, the arguments after `tenant`): its running
        -- count drops by those that were there, which may unblock it (and then wakes an idle worker).
        local function leave_active_of(B, tenant, ...)
          local left = redis.call('ZREM', B .. 'active', ...)
          if left > 0 then
            redis.call('HINCRBY', B .. 'tenant:' .. tenant, 'running', -left)
            if redis.call('SISMEMBER', B .. 'blocked', tenant) == 1 then
              activate(B, tenant)
              if redis.call('ZSCORE', B .. 'tenants', tenant) then redis.call('ZADD', B .. 'marker', 0, 'w') end
            end
          end
        end

        -- A job leaves `active`: its worker (read from the record unless given) no longer holds it,
        -- its tenant runs one fewer (`leave_active_of`). Gathered, by tenant and by worker.
        local function leave_active(B, id, tenant, worker)
          if worker == nil then worker = redis.call('HGET', B .. 'job:' .. id, 'worker') end
          if gathered then
            if worker then
              table.insert(gathered_part('held', worker), id)
            end
            table.insert(gathered_part('leaving', tenant), id)
            return
          end
          if worker then redis.call('SREM', B .. 'held:' .. worker, id) end
          leave_active_of(B, tenant, id)
        end

        -- Moves due retries from `scheduled` back to their tenants' ready sets.
        local function promote_due(B, now, limit, channel)
          local due = redis.call('ZRANGEBYSCORE', B .. 'scheduled', '-inf', now, 'LIMIT', 0, limit)
          for _, id in ipairs(due) do
            redis.call('ZREM', B .. 'scheduled', id)
            local key = B .. 'job:' .. id
            local record = redis.call('HMGET', key, 'status', 'tk', 'rank', 'history')
            if record[1] == 'scheduled' then
              redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now, 'history', noted(record[4], now, 'queued retry_due'))
              redis.call('HDEL', key, 'retry_at')
              push_ready(B, id, record[2], record[3], now)
              publish(channel, id, 'queued')
            end
          end
          return #due
        end

        -- Adds one attempt's usage (a JSON object of counters) to the job's record, its tenant's
        -- ledger `usage:<tenant>`, and the tenant's budget period if the job has one. Returns the
        -- job's usage so far (a table), or nil when there was nothing to add.
        local function add_usage(B, key, tenant, usage)
          if usage == nil or usage == '' or usage == '{}' then return nil end
          local counters = cjson.decode(usage)
          local record = redis.call('HMGET', key, 'usage', 'budget', 'budget_unit')
          local total = {}
          if record[1] and record[1] ~= '' then total = cjson.decode(record[1]) end
          for name, value in pairs(counters) do
            local amount = math.floor(tonumber(value) or 0)
            if amount ~= 0 then
              total[name] = (tonumber(total[name]) or 0) + amount
              count_usage(B, tenant, name, amount)
            end
          end
          redis.call('HSET', key, 'usage', cjson.encode(total))
          if record[2] and record[2] ~= '' then
            local spent = math.floor(tonumber(counters[record[3]]) or 0)
            if spent ~= 0 then
              if gathered then
                tally(gathered_part('spent'), record[2], spent)
              else
                redis.call('HINCRBY', record[2], 'spent', spent)
              end
            end
          end
          return total
        end

        -- In-flight coalescing: the followers of a job that ends (jobs that asked the same question
        -- while it waited or ran, `followers:<id>`) end as it ends, with its result or error, each
        -- once. A leader canceled by its own submitter hands the work to its first waiting follower
        -- instead, which enters the queue and leads the others. The leader key
        -- (`<answer key>:<version>:leader`) goes with the job that held it. A finished follower's
        -- tenant ledger counts it (`coalesced`) and the leader's cost as saved (`saved_micro_usd`).
        -- Only a job with a place in the answer cache (`cache_key`) can lead: others have nothing to do.
        local function end_followers(B, key, id, status, now, ttl, channel, cache_key)
          if not cache_key or cache_key == '' then return end
          local leader_key = cache_key .. ':leader'
          if redis.call('GET', leader_key) == id then redis.call('DEL', leader_key) end
          local followers_key = B .. 'followers:' .. id
          local followers = redis.call('SMEMBERS', followers_key)
          if #followers == 0 then return end
          redis.call('DEL', followers_key)
          local copy = redis.call('HMGET', key, 'result', 'error', 'usage')
          -- What each finished follower saved: the model calls its leader paid for.
          local saved = 0
          if status == 'finished' and copy[3] and copy[3] ~= '' then saved = tonumber(cjson.decode(copy[3])['cost_micro_usd']) or 0 end
          local heir = nil
          for _, follower in ipairs(followers) do
            local fkey = B .. 'job:' .. follower
            if redis.call('HGET', fkey, 'status') == 'queued' then
              if status == 'canceled' and heir == nil then
                heir = follower
                local f = redis.call('HMGET', fkey, 'tk', 'rank', 'budget', 'hold')
                redis.call('HSET', fkey, 'leader', '')
                -- It runs now, so it holds its budget like any job in the queue (unless the
                -- period it joined in is over and gone).
                if f[3] and f[3] ~= '' and (tonumber(f[4]) or 0) > 0 and redis.call('EXISTS', f[3]) == 1 then
                  redis.call('HINCRBY', f[3], 'reserved', f[4])
                  redis.call('HSET', fkey, 'reserved', f[4])
                end
                push_ready(B, follower, f[1] or '-', tonumber(f[2]) or now, now)
                redis.call('ZADD', B .. 'marker', 0, 'w')
                redis.call('SET', leader_key, follower)
              elseif status == 'canceled' then
                redis.call('HSET', fkey, 'leader', heir)
                redis.call('SADD', B .. 'followers:' .. heir, follower)
              else
                local fields_of = redis.call('HMGET', fkey, 'idem_key', 'created_at', 'history')
                local fields = {'status', status, 'ended_at', now, 'history', noted(fields_of[3], now, status .. ' with_leader ' .. id)}
                if copy[1] then fields[#fields + 1] = 'result'; fields[#fields + 1] = copy[1] end
                if copy[2] then fields[#fields + 1] = 'error'; fields[#fields + 1] = copy[2] end
                redis.call('HSET', fkey, unpack(fields))
                redis.call('HINCRBY', fkey, 'ends', 1)
                redis.call('PEXPIRE', fkey, ttl)
                local idem = fields_of[1]
                if idem and idem ~= '' then redis.call('PEXPIRE', idem, ttl) end
                redis.call('HINCRBY', B .. 'counters', status, 1)
                if status == 'finished' then
                  local ftk = redis.call('HGET', fkey, 'tk') or '-'
                  redis.call('HINCRBY', B .. 'counters', 'cache_saved_micro_usd', saved)
                  redis.call('HINCRBY', B .. 'usage:' .. ftk, 'coalesced', 1)
                  redis.call('HINCRBY', B .. 'usage:' .. ftk, 'saved_micro_usd', saved)
                end
                publish_end(channel, follower, status, now, fields_of[2], nil)
              end
            end
          end
        end

        -- Ends a job: status, end time, expiry of the record and of its idempotency key; releases the
        -- budget the job reserved; counts the end in the throughput estimate. `extra` holds more
        -- field/value pairs to write in the same HSET (the table is extended and written);
        -- `record` (optional) holds the values of `finish_fields` from index `at + 1` on, when the
        -- caller has read them with its own. (`lease_until` stays; readers ignore it unless the job
        -- is started.) `ends` counts the final writes: anything but 1 is a bug that audits (ragsim's
        -- chaos ledger) report as a duplicate.
        local finish_fields = {'idem_key', 'budget', 'reserved', 'created_at', 'first_started_at', 'history', 'error', 'ends', 'cache_key'}
        local function finish(B, key, id, status, now, ttl, channel, extra, record, at)
          if record == nil then record = redis.call('HMGET', key, unpack(finish_fields)) end
          at = at or 0
          local idem, budget, reserved, created, first_started, history, failure_json, ends, cache_key = unpack(record, at + 1, at + 9)
          local step = status
          if status == 'failed' and failure_json then
            local decoded, failure = pcall(cjson.decode, failure_json)
            if decoded and type(failure) == 'table' and failure.code then step = step .. ' ' .. failure.code end
          end
          local fields = extra or {}
          local n = #fields
          fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4] = 'status', status, 'ended_at', now
          fields[n + 5], fields[n + 6], fields[n + 7], fields[n + 8] = 'history', noted(history, now, step), 'ends', (tonumber(ends) or 0) + 1
          redis.call('HSET', key, unpack(fields))
          redis.call('PEXPIRE', key, ttl)
          if idem and idem ~= '' then redis.call('PEXPIRE', idem, ttl) end
          if budget and budget ~= '' then
            local amount = tonumber(reserved) or 0
            if amount ~= 0 then
              redis.call('HINCRBY', budget, 'reserved', -amount)
              redis.call('HSET', key, 'reserved', 0)
            end
          end
          if gathered then gathered.ends = gathered.ends + 1 else count_end(B, tonumber(now)) end
          publish_end(channel, id, status, now, created, first_started)
          end_followers(B, key, id, status, now, ttl, channel, cache_key)
        end

        -- Ends a job `failed` for good: it joins the `failed` index (kept as long as its record) and
        -- counts in `failed` and in `failed:<code>`, the failures by reason.
        local function end_failed(B, key, id, now, ttl, channel, code)
          redis.call('ZADD', B .. 'failed', now, id)
          finish(B, key, id, 'failed', now, ttl, channel)
          redis.call('HINCRBY', B .. 'counters', 'failed', 1)
          redis.call('HINCRBY', B .. 'counters', 'failed:' .. (code or 'unknown'), 1)
        end

        -- The refusal of a write by the holder of `token` to a job of this status and current token,
        -- or nil when it holds the job's lease.
        local function refusal(status, current, token)
          if not status then return {-1} end
          if current ~= token then return {-2, status} end
          if status ~= 'started' then
            if status == 'finished' or status == 'failed' or status == 'canceled' then return {-4, status} end
            return {-3, status}
          end
          return nil
        end

        -- Checks that the caller holds the job's current lease. Returns nil when it does.
        local function check_holder(key, token)
          local record = redis.call('HMGET', key, 'status', 'token')
          return refusal(record[1], record[2], token)
        end

        -- Counts a refused late write (a newer attempt owns the job, or the lease was taken back and
        -- the job queued again or ended) as `refused` in `counters`; returns the refusal.
        local function count_refused(B, refused)
          if refused[1] == -2 or refused[1] == -3 or refused[1] == -4 then
            redis.call('HINCRBY', B .. 'counters', 'refused', 1)
          end
          return refused
        end

        -- Writes what the script gathered (`gather`) and stops gathering; lists go in slices.
        local function write_gathered(B, channel)
          local g = gathered
          gathered = nil
          -- Only the parts made (`gathered_part`) are visited: a call of one job makes few.
          if g.lines then redis.call('PUBLISH', channel, table.concat(g.lines, '\\n')) end
          if g.ends > 0 then count_end(B, tonumber(g.now), g.ends) end
          if g.counters then
            for name, amount in pairs(g.counters) do redis.call('HINCRBY', B .. 'counters', name, amount) end
          end
          if g.held then
            for worker, ids in pairs(g.held) do
              each_slice(ids, 500, function(...) redis.call('SREM', B .. 'held:' .. worker, ...) end)
            end
          end
          if g.leaving then
            for tenant, ids in pairs(g.leaving) do
              each_slice(ids, 500, function(...) leave_active_of(B, tenant, ...) end)
            end
          end
          if g.ledger then
            for tenant, ledger in pairs(g.ledger) do
              for name, amount in pairs(ledger) do redis.call('HINCRBY', B .. 'usage:' .. tenant, name, amount) end
            end
          end
          if g.spent then
            for budget, spent in pairs(g.spent) do redis.call('HINCRBY', budget, 'spent', spent) end
          end
          if g.waiting then each_slice(g.waiting, 1000, function(...) redis.call('ZADD', B .. 'waiting', ...) end) end
          if g.recent then each_slice(g.recent, 1000, function(...) redis.call('ZADD', B .. 'recent', ...) end) end
          if g.wake then redis.call('ZADD', B .. 'marker', 0, 'w') end
        end

        """
}

/// Return codes of the queue scripts, mapped to errors in this one place.
enum ScriptCode: Int64 {
    case ok = 0
    /// Success of a special kind: an existing job (idempotency) or a repeated completion.
    case okExisting = 1
    /// Success from the answer cache: the job was created already finished.
    case okCached = 2
    /// Success by coalescing: the job follows the same question in flight.
    case okCoalesced = 3
    case notFound = -1
    case staleToken = -2
    case invalidState = -3
    case alreadyEnded = -4
    case queueFull = -5
    case budgetExhausted = -6

    /// The error for a failing code; nil for the success codes. `detail` is the reply's second
    /// element, `more` the rest.
    func error(jobID: JobID?, detail: String?, more: [ValkeyReply]) -> QueueError? {
        let status = detail ?? "unknown"
        switch self {
        case .ok, .okExisting, .okCached, .okCoalesced: return nil
        case .notFound: return jobID.map(QueueError.notFound) ?? .corruptRecord("not found")
        case .staleToken: return jobID.map(QueueError.staleToken) ?? .corruptRecord("stale token")
        case .invalidState: return jobID.map { .invalidState($0, status) } ?? .corruptRecord("invalid state")
        case .alreadyEnded: return jobID.map { .alreadyEnded($0, status) } ?? .corruptRecord("already ended")
        case .queueFull:
            let retryAfter = more.first?.int.map { Duration.milliseconds($0) }
            return .queueFull(depth: Int(detail ?? "") ?? 0, retryAfter: retryAfter)
        case .budgetExhausted:
            return .budgetExhausted(retryAfter: .milliseconds(Int64(detail ?? "") ?? 0))
        }
    }

    /// Reads `{code, detail?, ...}` from a script reply, throwing the mapped error for failure codes.
    static func check(_ reply: ValkeyReply, jobID: JobID?) throws(QueueError) -> (code: ScriptCode, detail: String?) {
        guard let parts = reply.array, let raw = parts.first?.int, let code = ScriptCode(rawValue: raw) else {
            throw .corruptRecord("unexpected script reply \(reply)", jobID: jobID)
        }
        let detail = parts.count > 1 ? parts[1].string : nil
        if let error = code.error(jobID: jobID, detail: detail, more: Array(parts.dropFirst(2))) { throw error }
        return (code, detail)
    }
}
