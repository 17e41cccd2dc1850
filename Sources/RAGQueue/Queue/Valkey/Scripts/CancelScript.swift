import Valkey

extension QueueScripts {
    static let cancel = ValkeyScript(name: "cancel", source: prelude + """
        --[[ cancel: a waiting or scheduled job ends `canceled` at once; a running one is flagged, and
        its worker learns it at the next lease renewal or step and stops.
        KEYS[1] job record
        ARGV[1] B  ARGV[2] id  ARGV[3] now (ms)  ARGV[4] canceled ttl (ms)  ARGV[5] events channel
        Returns {0, 'canceled'} ended now; {0, 'started'} the running job was asked to stop;
        {-1} no such job; {-4, status} it has already ended. ]]
        local B, id = ARGV[1], ARGV[2]
        local record = redis.call('HMGET', KEYS[1], 'status', 'tk')
        local status = record[1]
        if not status then return {-1} end
        if status == 'queued' or status == 'scheduled' then
          drop_ready(B, id, record[2] or '-')
          redis.call('ZREM', B .. 'scheduled', id)
          finish(B, KEYS[1], id, 'canceled', ARGV[3], ARGV[4], ARGV[5])
          redis.call('HINCRBY', B .. 'counters', 'canceled', 1)
          return {0, 'canceled'}
        end
        if status == 'started' then
          redis.call('HSET', KEYS[1], 'cancel', 1)
          note(KEYS[1], ARGV[3], 'cancel_requested')
          redis.call('PUBLISH', ARGV[5], id .. ' cancel')
          return {0, 'started'}
        end
        return {-4, status}
        """)
}
