import Valkey

extension QueueScripts {
    static let holdDelivery = ValkeyScript(name: "webhook_hold", source: """
        --[[ webhook_hold: one process takes, or its holder extends, the delivery lease of a job's webhook.
        Invariant: at most one live holder per job; a lease that ran out (its holder died) may be taken
        by anyone; a job no longer in the outbox (delivered or abandoned) cannot be held, so a process
        that read the outbox just before another finished the delivery does not deliver it again.
        KEYS[1] the job's delivery lease (STRING holding the owner)  KEYS[2] outbox (SET of job ids)
        ARGV[1] owner  ARGV[2] lease (ms)  ARGV[3] job id
        Returns 1 held by ARGV[1] for ARGV[2] ms from now; 0 another owner holds it or it is not pending. ]]
        if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then return 0 end
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """)

    static let finishDelivery = ValkeyScript(name: "webhook_finish", source: """
        --[[ webhook_finish: a job's delivery is over (delivered, abandoned, or the job is gone).
        Invariant: a job leaves the outbox only here; the lease is released only by its holder.
        KEYS[1] outbox (SET of job ids)  KEYS[2] the job's delivery lease
        ARGV[1] job id  ARGV[2] owner
        Returns 1 when the job was in the outbox, else 0. ]]
        if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
        return redis.call('SREM', KEYS[1], ARGV[1])
        """)
}
