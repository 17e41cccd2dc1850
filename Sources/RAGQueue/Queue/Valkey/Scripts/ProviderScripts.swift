import Valkey

extension QueueScripts {
    /// Lua for `ProviderBucket`: the figures kept in one model's hash and how they refill.
    static let providerPrelude = """
        -- One model's budgets (`ProviderBucket`): `req` and `tok` left (absent: full), `ts` when last
        -- refilled, `paused` until when nobody reserves, `lrpm`/`ltpm` the limits the provider taught,
        -- `ireq`/`itok` the calls reserved and not yet settled and their tokens.
        local function provider_state(key, now, configured_rpm, configured_tpm)
          local h = redis.call('HMGET', key, 'req', 'tok', 'ts', 'paused', 'lrpm', 'ltpm')
          local s = {req = tonumber(h[1]), tok = tonumber(h[2]), ts = tonumber(h[3]) or now, paused = tonumber(h[4]) or 0}
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

        local function provider_save(key, s)
          local fields = {'ts', s.ts}
          if s.req then fields[#fields + 1] = 'req'; fields[#fields + 1] = string.format('%.17g', s.req) end
          if s.tok then fields[#fields + 1] = 'tok'; fields[#fields + 1] = string.format('%.17g', s.tok) end
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
        provider_save(KEYS[1], s)
        redis.call('HINCRBY', KEYS[1], 'ireq', 1)
        redis.call('HINCRBY', KEYS[1], 'itok', cost)
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
        if ARGV[6] ~= '' and tonumber(ARGV[6]) > 0 then redis.call('HSET', KEYS[1], 'lrpm', ARGV[6]) end
        if ARGV[7] ~= '' and tonumber(ARGV[7]) > 0 then redis.call('HSET', KEYS[1], 'ltpm', ARGV[7]) end
        local s = provider_state(KEYS[1], tonumber(ARGV[1]), ARGV[4], ARGV[5])
        if s.tok then s.tok = s.tok + tonumber(ARGV[2]) - tonumber(ARGV[3]) end
        local flight = redis.call('HMGET', KEYS[1], 'ireq', 'itok')
        local ireq = math.max(0, (tonumber(flight[1]) or 0) - 1)
        local itok = math.max(0, (tonumber(flight[2]) or 0) - tonumber(ARGV[2]))
        redis.call('HSET', KEYS[1], 'ireq', ireq, 'itok', itok)
        if ARGV[8] ~= '' then s.req = math.min(s.req or math.huge, tonumber(ARGV[8]) - ireq) end
        if ARGV[9] ~= '' then s.tok = math.min(s.tok or math.huge, tonumber(ARGV[9]) - itok) end
        provider_save(KEYS[1], s)
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
