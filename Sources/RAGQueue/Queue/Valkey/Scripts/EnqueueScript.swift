import Valkey

extension QueueScripts {
    static let enqueue = ValkeyScript(name: "enqueue", source: prelude + """
        --[[ enqueue: a new job enters the queue, waiting for a worker.
        Invariant: a job id is in `waiting` only while its record says `queued`; with an idempotency
        key, one key maps to one job for as long as that job's record lives.
        KEYS[1] job record   KEYS[2] waiting   KEYS[3] marker   KEYS[4] counters
        KEYS[5] scheduled    KEYS[6] idempotency key (unused when ARGV[9] is 0)
        ARGV[1] id  ARGV[2] kind  ARGV[3] payload  ARGV[4] now (ms)  ARGV[5] max attempts
        ARGV[6] request id  ARGV[7] tenant  ARGV[8] max depth (0 = none)  ARGV[9] has idempotency key
        ARGV[10] idempotency key ttl (ms)  ARGV[11] events channel (unused: a new id has no listener yet)
        Returns {0, id} for a new job, {1, existing id} for a repeated idempotency key,
        {-5, depth} when the queue is full. ]]
        if ARGV[9] == '1' then
          local existing = redis.call('GET', KEYS[6])
          if existing then return {1, existing} end
        end
        local max_depth = tonumber(ARGV[8])
        if max_depth > 0 then
          local depth = redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[5])
          if depth >= max_depth then return {-5, tostring(depth)} end
        end
        local idem_key = ''
        if ARGV[9] == '1' then
          idem_key = KEYS[6]
          redis.call('SET', idem_key, ARGV[1], 'PX', ARGV[10])
        end
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'kind', ARGV[2], 'payload', ARGV[3], 'status', 'queued',
          'attempts', 0, 'max_attempts', ARGV[5], 'created_at', ARGV[4], 'enqueued_at', ARGV[4],
          'request_id', ARGV[6], 'tenant', ARGV[7], 'idem_key', idem_key, 'token', 0)
        redis.call('LPUSH', KEYS[2], ARGV[1])
        redis.call('ZADD', KEYS[3], 0, 'w')
        redis.call('HINCRBY', KEYS[4], 'enqueued', 1)
        -- No event: nobody can be waiting on an id that did not exist a moment ago.
        return {0, ARGV[1]}
        """)
}
