import Valkey

extension QueueScripts {
    static let cancel = ValkeyScript(name: "cancel", source: prelude + """
        --[[ cancel: a waiting or scheduled job ends `canceled` at once; a running one is flagged, and
        its worker learns it at the next lease renewal or step and stops.
        KEYS[1] job record  KEYS[2] waiting  KEYS[3] scheduled  KEYS[4] counters
        ARGV[1] id  ARGV[2] now (ms)  ARGV[3] canceled ttl (ms)  ARGV[4] events channel
        Returns {0, 'canceled'} ended now; {0, 'started'} the running job was asked to stop;
        {-1} no such job; {-4, status} it has already ended. ]]
        local status = redis.call('HGET', KEYS[1], 'status')
        if not status then return {-1} end
        if status == 'queued' or status == 'scheduled' then
          redis.call('LREM', KEYS[2], 1, ARGV[1])
          redis.call('ZREM', KEYS[3], ARGV[1])
          finish(KEYS[1], ARGV[1], 'canceled', ARGV[2], ARGV[3], ARGV[4])
          redis.call('HINCRBY', KEYS[4], 'canceled', 1)
          return {0, 'canceled'}
        end
        if status == 'started' then
          redis.call('HSET', KEYS[1], 'cancel', 1)
          redis.call('PUBLISH', ARGV[4], ARGV[1] .. ' cancel')
          return {0, 'started'}
        end
        return {-4, status}
        """)
}
