import Valkey

extension QueueScripts {
    static let retry = ValkeyScript(name: "retry", source: prelude + """
        --[[ retry: an operator puts a failed job back in the queue (JobStateMachine.retry). It gets
        `allowance` more attempts, counted on from its last, a clean slate of crashes and refunds and
        one more final write to make (`ends` starts again); its record lives until it ends again and
        its idempotency key, as at enqueue, the idempotency ttl; it keeps its place in its tenant's
        line. Its last error stays until it runs.
        KEYS[1] job record
        ARGV[1] B  ARGV[2] id  ARGV[3] now (ms)  ARGV[4] events channel  ARGV[5] allowance
        ARGV[6] idempotency ttl (ms)
        Returns {0, 'queued'}; {-1} no such job; {-3, status} it did not fail. ]]
        local B, id, now = ARGV[1], ARGV[2], ARGV[3]
        local record = redis.call('HMGET', KEYS[1], 'status', 'tk', 'rank', 'attempts', 'idem_key')
        local status = record[1]
        if not status then return {-1} end
        if status ~= 'failed' then return {-3, status} end
        local allowance = math.max(1, tonumber(ARGV[5]) or 1)
        redis.call('ZREM', B .. 'failed', id)
        redis.call('HSET', KEYS[1], 'status', 'queued', 'enqueued_at', now, 'max_attempts', (tonumber(record[4]) or 0) + allowance,
          'crashes', 0, 'refunds', 0, 'ends', 0, 'cancel', 0)
        redis.call('HDEL', KEYS[1], 'ended_at', 'lease_until', 'retry_at')
        redis.call('HINCRBY', KEYS[1], 'retries', 1)
        note(KEYS[1], now, 'retried_by_operator')
        redis.call('PERSIST', KEYS[1])
        if record[5] and record[5] ~= '' then redis.call('PEXPIRE', record[5], ARGV[6]) end
        push_ready(B, id, record[2] or '-', record[3], now)
        redis.call('ZADD', B .. 'marker', 0, 'w')
        redis.call('HINCRBY', B .. 'counters', 'retried_by_operator', 1)
        publish(ARGV[4], id, 'queued')
        return {0, 'queued'}
        """)
}
