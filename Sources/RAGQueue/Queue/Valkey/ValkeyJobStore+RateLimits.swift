import Valkey

extension ValkeyJobStore {
    public func takeToken(from bucket: String, limit: TokenBucket) async throws(QueueError) -> TokenBucket.Decision {
        let reply = try await run(
            QueueScripts.rateLimit, keys: [keys.rateLimit(bucket)],
            arguments: [clock.nowMilliseconds(), limit.capacity, limit.refillPerSecond / 1000]
        )
        guard let parts = reply.array, parts.count == 3, let allowed = parts[0].int, let wait = parts[1].int, let left = parts[2].int else {
            throw .corruptRecord("unexpected rate_limit reply")
        }
        return TokenBucket.Decision(allowed: allowed == 1, retryAfter: .milliseconds(wait), remaining: Int(left))
    }
}
