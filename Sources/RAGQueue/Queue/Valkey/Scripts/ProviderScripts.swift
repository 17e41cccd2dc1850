import Valkey

extension QueueScripts {
    /// Lua for `ProviderBucket`: the figures kept in one model's hash and how they refill.
    static let providerPrelude = """
        -- One model's budgets (`ProviderBucket`): `req` and `tok` left (absent: full), `ts` when last
        -- refilled, `paused` until when nobody reserves, `lrpm`/`ltpm` the limits the provider taught,
        -- `ireq`/`itok` the calls reserved and not yet settled and their tokens (the sums of the
        -- holders' holdings, kept for readers).
        local function provider_state(key, now, configured_rpm, configured_tpm)
          local h = redis.call('HMGET', key, 'req', 'tok', 'ts', 'paused', 'lrpm', 'ltpm')
          local s = {req = tonumber(h[1]), tok = tonumber(h[2]), ts = tonumber(h[3]) or now, paused = tonumber(h[4]) or 0,
            ireq = 0, itok = 0}
          s.rpm = tonumber(configured_rpm) or 0
          if s.rpm == 0 then s.rpm = tonumber(h[5]) or 0 end
          s.tpm = tonumber(configured_tpm) or 0
          if s.tpm == 0 then s.tpm = tonumber(h[6]) or 0 end
          local elapsed = math.max(0, now - s.ts)
          if s.rpm > 0 then s.req = math.min(s.rpm, (s.req or s.rpm) + elapsed * s.rpm / 60000) end
          if s.tpm > 0 then s.tok = math.min(s.tpm, (s.tok or s.tpm) + elapsed * s.tpm / 60000) end
          s.ts = math.max(s.ts, now)
          return s
        end

        -- Writes the budgets and the calls in flight back, with `extra` field/value pairs if given.
        local function provider_save(key, s, extra)
          local fields = {'ts', s.ts, 'ireq', s.ireq, 'itok', s.itok}
          if s.req then fields[#fields + 1] = 'req'; fields[#fields + 1] = string.format('%.17g', s.req) end
          if s.tok then fields[#fields + 1] = 'tok'; fields[#fields + 1] = string.format('%.17g', s.tok) end
          if extra then for _, value in ipairs(extra) do fields[#fields + 1] = value end end
          redis.call('HSET', key, unpack(fields))
          redis.call('PEXPIRE', key, 3600000)
        end

        """

    static let providerLease = ValkeyScript(name: "provider_lease", source: providerPrelude + """
        --[[ provider_lease: settles what a worker's earlier leases went to, then leases one request
        and ARGV[10] tokens of a model's per-minute budgets, and up to ARGV[12] requests and ARGV[13]
        tokens while they hold them and ARGV[11] ms of each rate allows; or says how long until the
        call at hand fits (ProviderBucket.settle, then ProviderBucket.lease).
        Invariant: leases never take a budget below zero (but for one call larger than a minute's
        tokens, on a full bucket); a paused model leases nothing; leased amounts count in flight
        (`ireq`, `itok`) until their holder settles them or is silent past its horizon (killed).
        KEYS[1] the model's budget HASH  KEYS[2] its holders' HASH: holder -> 'requests,tokens,expires'
        ARGV[1] now (ms)  ARGV[2] configured requests per minute (0: learned)  ARGV[3] configured
        tokens per minute (0: learned)  ARGV[4] requests closed  ARGV[5] of them given back
        ARGV[6] tokens closed  ARGV[7] tokens given back (negative: used beyond)  ARGV[8] limit
        requests, limit tokens, remaining requests, remaining tokens the provider said, as
        'a,b,c,d' ('' each when unknown; '' for no observation)  ARGV[9] whether to lease (0|1)
        ARGV[10] tokens of the call at hand  ARGV[11] window (ms)  ARGV[12] requests wanted  ARGV[13] tokens wanted
        ARGV[14] the holder  ARGV[15] its horizon (ms)
        Returns {0, requests, tokens} leased (-1: that budget is not paced), {1, wait (ms)}, or {2}
        when nothing was asked. ]]
        local now = tonumber(ARGV[1])
        -- Limits the provider taught apply from this settlement on, as if stored before it.
        local learned = {}
        local configured = {ARGV[2], ARGV[3]}
        local said = {}
        if ARGV[8] ~= '' then
          local i = 1
          for figure in string.gmatch(ARGV[8] .. ',', '([^,]*),') do said[i] = tonumber(figure); i = i + 1 end
        end
        for i, name in ipairs({'lrpm', 'ltpm'}) do
          local limit = said[i]
          if limit and limit > 0 then
            learned[#learned + 1] = name
            learned[#learned + 1] = limit
            if (tonumber(configured[i]) or 0) == 0 then configured[i] = limit end
          end
        end
        local s = provider_state(KEYS[1], now, configured[1], configured[2])
        if s.req then s.req = math.min(s.rpm > 0 and s.rpm or math.huge, s.req + tonumber(ARGV[5])) end
        if s.tok then s.tok = math.min(s.tpm > 0 and s.tpm or math.huge, s.tok + tonumber(ARGV[7])) end
        -- In flight: the other holders' holdings (those silent past their horizon dropped) and this
        -- holder's, less what it settles now.
        local holder, horizon = ARGV[14], tonumber(ARGV[15])
        local others_req, others_tok, mine_req, mine_tok, known, gone = 0, 0, 0, 0, false, {}
        local held = redis.call('HGETALL', KEYS[2])
        for i = 1, #held, 2 do
          local r, t, expires = string.match(held[i + 1], '^(%d+),(%d+),(%d+)$')
          if held[i] == holder then
            mine_req, mine_tok, known = tonumber(r) or 0, tonumber(t) or 0, true
          elseif r == nil or tonumber(expires) <= now then
            gone[#gone + 1] = held[i]
          else
            others_req, others_tok = others_req + tonumber(r), others_tok + tonumber(t)
          end
        end
        if #gone > 0 then redis.call('HDEL', KEYS[2], unpack(gone)) end
        s.ireq = others_req + math.max(0, mine_req - tonumber(ARGV[4]))
        s.itok = others_tok + math.max(0, mine_tok - tonumber(ARGV[6]))
        if said[3] then s.req = math.min(s.req or math.huge, said[3] - s.ireq) end
        if said[4] then s.tok = math.min(s.tok or math.huge, said[4] - s.itok) end
        -- The lease (ProviderBucket.lease): its reply, with what it takes out of `s`.
        local function lease()
          if s.paused > now then return {1, s.paused - now} end
          local cost, window = tonumber(ARGV[10]), tonumber(ARGV[11])
          local wait = 0
          if s.rpm > 0 and s.req < 1 then wait = math.max(wait, (1 - s.req) / (s.rpm / 60000)) end
          if s.tpm > 0 then
            local needed = math.min(cost, s.tpm)
            if s.tok < needed then wait = math.max(wait, (needed - s.tok) / (s.tpm / 60000)) end
          end
          if wait > 0 then return {1, math.ceil(wait)} end
          local requests, tokens = -1, -1
          if s.rpm > 0 then
            requests = math.max(1, math.min(math.floor(s.req), math.floor(s.rpm * window / 60000), tonumber(ARGV[12])))
            s.req = s.req - requests
            s.ireq = s.ireq + requests
          end
          if s.tpm > 0 then
            tokens = math.max(cost, math.min(math.floor(s.tok), math.floor(s.tpm * window / 60000), tonumber(ARGV[13])))
            s.tok = s.tok - tokens
            s.itok = s.itok + tokens
          end
          return {0, requests, tokens}
        end
        local reply = {2}
        if ARGV[9] == '1' then reply = lease() end
        provider_save(KEYS[1], s, learned)
        mine_req, mine_tok = s.ireq - others_req, s.itok - others_tok
        if mine_req > 0 or mine_tok > 0 then
          redis.call('HSET', KEYS[2], holder, mine_req .. ',' .. mine_tok .. ',' .. (now + horizon))
          redis.call('PEXPIRE', KEYS[2], math.max(3600000, horizon))
        elseif known then
          redis.call('HDEL', KEYS[2], holder)
        end
        return reply
        """)

    static let providerPause = ValkeyScript(name: "provider_pause", source: """
        --[[ provider_pause: nobody reserves the model's budget until ARGV[1] + ARGV[2]: it answered 429.
        KEYS[1] the model's budget HASH
        ARGV[1] now (ms)  ARGV[2] pause (ms)
        Returns when the pause ends (ms since the epoch). ]]
        local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
        local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
        if until_ms > paused then redis.call('HSET', KEYS[1], 'paused', until_ms) else until_ms = paused end
        redis.call('PEXPIRE', KEYS[1], 3600000)
        return until_ms
        """)
}
