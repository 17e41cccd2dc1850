import Valkey

extension QueueScripts {
    /// Lua for `ProviderBucket`: the figures kept in one model's hash and how they refill.
    static let providerPrelude = """
        -- One model's budgets (`ProviderBucket`): `req` and `tok` left (absent: full), `ts` when last
        -- refilled, `paused` until when nobody reserves, `lrpm`/`ltpm` the limits the provider taught,
        -- `ireq`/`itok` the calls reserved and not yet settled and their tokens.
        local function provider_state(key, now, configured_rpm, configured_tpm)
          local h = redis.call('HMGET', key, 'req', 'tok', 'ts', 'paused', 'lrpm', 'ltpm', 'ireq', 'itok')
          local s = {req = tonumber(h[1]), tok = tonumber(h[2]), ts = tonumber(h[3]) or now, paused = tonumber(h[4]) or 0,
            ireq = tonumber(h[7]) or 0, itok = tonumber(h[8]) or 0}
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

    static let providerReserve = ValkeyScript(name: "provider_reserve", source: providerPrelude + """
        --[[ provider_reserve: takes one request and ARGV[2] tokens of a model's per-minute budgets, or
        says how long until both are there (ProviderBucket.reserve).
        Invariant: reservations never take a budget below zero; a paused model reserves nothing.
        KEYS[1] the model's budget HASH
        ARGV[1] now (ms)  ARGV[2] tokens  ARGV[3] configured requests per minute (0: learned)
        ARGV[4] configured tokens per minute (0: learned)
        Returns 0 reserved, else the wait (ms). ]]
        local now, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
        local s = provider_state(KEYS[1], now, ARGV[3], ARGV[4])
        if s.paused > now then return s.paused - now end
        local wait = 0
        if s.rpm > 0 and s.req < 1 then wait = math.max(wait, (1 - s.req) / (s.rpm / 60000)) end
        if s.tpm > 0 then
          local needed = math.min(cost, s.tpm)
          if s.tok < needed then wait = math.max(wait, (needed - s.tok) / (s.tpm / 60000)) end
        end
        if wait > 0 then
          provider_save(KEYS[1], s)
          return math.ceil(wait)
        end
        if s.req then s.req = s.req - 1 end
        if s.tok then s.tok = s.tok - cost end
        s.ireq, s.itok = s.ireq + 1, s.itok + cost
        provider_save(KEYS[1], s)
        return 0
        """)

    static let providerSettle = ValkeyScript(name: "provider_settle", source: providerPrelude + """
        --[[ provider_settle: gives back the tokens a call reserved and did not use, or takes what it
        used beyond; learns the model's limits from the provider's headers and never believes more
        remains than they say less what calls still in flight reserved (ProviderBucket.settle).
        KEYS[1] the model's budget HASH
        ARGV[1] now (ms)  ARGV[2] tokens reserved  ARGV[3] tokens used  ARGV[4] configured rpm (0: learned)
        ARGV[5] configured tpm (0: learned)  ARGV[6] limit requests ('' unknown)  ARGV[7] limit tokens
        ARGV[8] remaining requests  ARGV[9] remaining tokens
        Returns 1. ]]
        -- Limits the provider taught apply from this settle on, as if stored before it.
        local learned = {}
        local configured = {ARGV[4], ARGV[5]}
        for i, name in ipairs({'lrpm', 'ltpm'}) do
          local limit = tonumber(ARGV[5 + i])
          if limit and limit > 0 then
            learned[#learned + 1] = name
            learned[#learned + 1] = ARGV[5 + i]
            if (tonumber(configured[i]) or 0) == 0 then configured[i] = ARGV[5 + i] end
          end
        end
        local s = provider_state(KEYS[1], tonumber(ARGV[1]), configured[1], configured[2])
        if s.tok then s.tok = s.tok + tonumber(ARGV[2]) - tonumber(ARGV[3]) end
        s.ireq = math.max(0, s.ireq - 1)
        s.itok = math.max(0, s.itok - tonumber(ARGV[2]))
        if ARGV[8] ~= '' then s.req = math.min(s.req or math.huge, tonumber(ARGV[8]) - s.ireq) end
        if ARGV[9] ~= '' then s.tok = math.min(s.tok or math.huge, tonumber(ARGV[9]) - s.itok) end
        provider_save(KEYS[1], s, learned)
        return 1
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
