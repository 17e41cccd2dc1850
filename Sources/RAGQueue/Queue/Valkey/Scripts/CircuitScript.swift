import Valkey

extension QueueScripts {
    static let circuitFailure = ValkeyScript(name: "circuit_failure", source: """
        --[[ circuit_failure: a worker reports an outage-like backend failure (CircuitPolicy).
        Invariant: while open_until is ahead no claim takes a job; a failure while half-open (trips > 0,
        open_until past) opens it again at once, each time for twice as long, up to the maximum.
        KEYS[1] circuit HASH {failures, since, open_until, trips}
        ARGV[1] now (ms)  ARGV[2] threshold  ARGV[3] window (ms)  ARGV[4] first open length (ms)
        ARGV[5] longest open length (ms)
        Returns {open_until, trips}. Closed by the complete script (a job finished while half-open). ]]
        local now, threshold, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local first, longest = tonumber(ARGV[4]), tonumber(ARGV[5])
        local state = redis.call('HMGET', KEYS[1], 'failures', 'since', 'open_until', 'trips')
        local failures, since = tonumber(state[1]) or 0, tonumber(state[2]) or now
        local open_until, trips = tonumber(state[3]) or 0, tonumber(state[4]) or 0
        if open_until > now then return {open_until, trips} end
        if now - since > window then failures, since = 0, now end
        failures = failures + 1
        if failures >= threshold or trips > 0 then
          trips = trips + 1
          open_until = now + math.min(first * 2 ^ math.min(trips - 1, 20), longest)
          failures, since = 0, now
        end
        redis.call('HSET', KEYS[1], 'failures', failures, 'since', since, 'open_until', string.format('%.0f', open_until), 'trips', trips)
        redis.call('PEXPIRE', KEYS[1], window + longest * 4)
        return {open_until, trips}
        """)
}
