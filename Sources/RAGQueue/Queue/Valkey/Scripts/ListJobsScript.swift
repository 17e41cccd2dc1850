import Valkey

extension QueueScripts {
    static let listJobs = ValkeyScript(name: "list_jobs", source: """
        --[[ list_jobs: the jobs that pass a filter, newest first (JobStore.jobs(matching:)), walking
        an index from a cursor: `recent` (by creation time), or for a status with an index of its
        own that index (`failed` by end time, `active` by lease deadline, `scheduled` by due time). Read-only, and bounded: it looks at no more than
        `budget` entries per call and then returns where it stopped, so a rare filter costs the
        caller more calls, never Valkey one long script. Entries whose record expired are skipped.
        KEYS[1] the index walked
        ARGV[1] B  ARGV[2] score at or below which to start (ms; '+inf' from the newest)  ARGV[3] id the cursor names
        ('' none: the whole millisecond counts)  ARGV[4] limit  ARGV[5] status ('' any)  ARGV[6] tenant
        ('' any)  ARGV[7] text the question contains, lowercase ('' any)  ARGV[8] budget
        Returns {cursor ms, cursor id, id, ...}: the matching ids, then the cursor to go on from (the
        last id looked at), or {'', '', id, ...} when the index ended. ]]
        local B, top, after = ARGV[1], ARGV[2], ARGV[3]
        local limit, budget = tonumber(ARGV[4]), tonumber(ARGV[8])
        local status, tenant, text = ARGV[5], ARGV[6], ARGV[7]
        local top_number = tonumber(top)
        local out = {'', ''}
        local matched, looked, offset = 0, 0, 0
        -- A query's question: its payload's `query`, or the payload itself (as JobFilter.question).
        local function question(payload)
          local ok, doc = pcall(cjson.decode, payload)
          if ok and type(doc) == 'table' and type(doc.query) == 'string' then return doc.query end
          return payload
        end
        -- Whether the payload's question holds `text`. Most payloads lack it even as raw JSON, which
        -- is cheaper to look at than to decode; text JSON could escape (quotes, slashes, backslashes,
        -- anything not plain ASCII) is always decoded first.
        local plain = not string.find(text, '[^%w%s%.,;:!%?%-_%(%)]')
        local function holds(payload)
          if plain and not string.find(string.lower(payload), text, 1, true) then return false end
          return string.find(string.lower(question(payload)), text, 1, true) ~= nil
        end
        local fields = {'status', 'tenant'}
        if text ~= '' then fields[3] = 'payload' end
        while true do
          local chunk = redis.call('ZREVRANGEBYSCORE', KEYS[1], top, '-inf', 'WITHSCORES', 'LIMIT', offset, 200)
          if #chunk == 0 then return out end
          offset = offset + #chunk / 2
          for i = 1, #chunk, 2 do
            local id, score = chunk[i], chunk[i + 1]
            -- Same millisecond as the cursor: only the ids after it (ZREVRANGE gives them descending).
            if after == '' or tonumber(score) ~= top_number or id < after then
              looked = looked + 1
              local record = redis.call('HMGET', B .. 'job:' .. id, unpack(fields))
              if record[1] and (status == '' or record[1] == status) and (tenant == '' or record[2] == tenant)
                and (text == '' or holds(record[3] or '')) then
                out[#out + 1] = id
                matched = matched + 1
              end
              if matched >= limit or looked >= budget then
                out[1], out[2] = score, id
                return out
              end
            end
          end
        end
        """)
}
