import Valkey

/// The queue's Lua scripts: one per atomic state change, each opening with its contract.
///
/// Callers pass `now` (ms since the epoch) and the lease token; no script reads the server's clock,
/// so every process agrees on time through its own clock and tests can drive time. Return codes are
/// shared by all scripts and mapped to Swift errors in one place, `ScriptCode`.
enum QueueScripts {
    /// Lua helpers shared by several scripts, pasted at their top (scripts cannot call each other).
    static let prelude = """
        local function publish(channel, id, status)
          redis.call('PUBLISH', channel, id .. ' ' .. status)
        end

        -- Moves due retries from `scheduled` to the claiming end of `waiting`.
        local function promote_due(scheduled, waiting, job_prefix, now, limit, channel)
          local due = redis.call('ZRANGEBYSCORE', scheduled, '-inf', now, 'LIMIT', 0, limit)
          for _, id in ipairs(due) do
            redis.call('ZREM', scheduled, id)
            local key = job_prefix .. id
            if redis.call('HGET', key, 'status') == 'scheduled' then
              redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now)
              redis.call('HDEL', key, 'retry_at')
              redis.call('RPUSH', waiting, id)
              publish(channel, id, 'queued')
            end
          end
          return #due
        end

        -- Ends a job: status, end time, expiry of the record and of its idempotency key. `extra` holds
        -- more field/value pairs to write in the same HSET. (`lease_until` stays; readers ignore it
        -- unless the job is started.) `ends` counts the final writes: anything but 1 is a bug that
        -- audits (ragsim's chaos ledger) report as a duplicate.
        local function finish(key, id, status, now, ttl, channel, extra)
          local fields = {'status', status, 'ended_at', now}
          if extra then for _, value in ipairs(extra) do fields[#fields + 1] = value end end
          redis.call('HSET', key, unpack(fields))
          redis.call('HINCRBY', key, 'ends', 1)
          redis.call('PEXPIRE', key, ttl)
          local idem = redis.call('HGET', key, 'idem_key')
          if idem and idem ~= '' then redis.call('PEXPIRE', idem, ttl) end
          publish(channel, id, status)
        end

        -- Checks that the caller holds the job's current lease. Returns nil when it does.
        local function check_holder(key, token)
          local record = redis.call('HMGET', key, 'status', 'token')
          local status, current = record[1], record[2]
          if not status then return {-1} end
          if current ~= token then return {-2, status} end
          if status ~= 'started' then
            if status == 'finished' or status == 'failed' or status == 'canceled' then return {-4, status} end
            return {-3, status}
          end
          return nil
        end

        -- Counts a refused late write (a newer attempt owns the job, or the lease was taken back and
        -- the job queued again or ended) as `refused` in `counters`; returns the refusal.
        local function count_refused(counters, refused)
          if refused[1] == -2 or refused[1] == -3 or refused[1] == -4 then
            redis.call('HINCRBY', counters, 'refused', 1)
          end
          return refused
        end

        """
}

/// Return codes of the queue scripts, mapped to errors in this one place.
enum ScriptCode: Int64 {
    case ok = 0
    /// Success of a special kind: an existing job (idempotency) or a repeated completion.
    case okExisting = 1
    case notFound = -1
    case staleToken = -2
    case invalidState = -3
    case alreadyEnded = -4
    case queueFull = -5

    /// The error for a failing code; nil for the success codes.
    func error(jobID: JobID?, detail: String?) -> QueueError? {
        let status = detail ?? "unknown"
        switch self {
        case .ok, .okExisting: return nil
        case .notFound: return jobID.map(QueueError.notFound) ?? .corruptRecord("not found")
        case .staleToken: return jobID.map(QueueError.staleToken) ?? .corruptRecord("stale token")
        case .invalidState: return jobID.map { .invalidState($0, status) } ?? .corruptRecord("invalid state")
        case .alreadyEnded: return jobID.map { .alreadyEnded($0, status) } ?? .corruptRecord("already ended")
        case .queueFull: return .queueFull(depth: Int(detail ?? "") ?? 0)
        }
    }

    /// Reads `{code, detail?}` from a script reply, throwing the mapped error for failure codes.
    static func check(_ reply: ValkeyReply, jobID: JobID?) throws(QueueError) -> (code: ScriptCode, detail: String?) {
        guard let parts = reply.array, let raw = parts.first?.int, let code = ScriptCode(rawValue: raw) else {
            throw .corruptRecord("unexpected script reply \(reply)", jobID: jobID)
        }
        let detail = parts.count > 1 ? parts[1].string : nil
        if let error = code.error(jobID: jobID, detail: detail) { throw error }
        return (code, detail)
    }
}
