import Valkey

extension ValkeyJobStore {
    public func reserveProviderCapacity(model: String, tokens: Int, limits: ProviderLimits) async throws(QueueError) -> Duration {
        let reply = try await run(
            QueueScripts.providerReserve, keys: [keys.provider(model)],
            arguments: [clock.nowMilliseconds(), max(0, tokens), limits.requestsPerMinute ?? 0, limits.tokensPerMinute ?? 0]
        )
        guard let wait = reply.int else { throw .corruptRecord("unexpected provider_reserve reply") }
        return .milliseconds(wait)
    }

    public func settleProviderCapacity(
        model: String, reserved: Int, used: Int, observation: ProviderLimits.Observation?, limits: ProviderLimits
    ) async throws(QueueError) {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "" }
        _ = try await run(
            QueueScripts.providerSettle, keys: [keys.provider(model)],
            arguments: [
                clock.nowMilliseconds(), reserved, used, limits.requestsPerMinute ?? 0, limits.tokensPerMinute ?? 0,
                text(observation?.limitRequests), text(observation?.limitTokens), text(observation?.remainingRequests),
                text(observation?.remainingTokens),
            ]
        )
    }

    public func pauseProvider(model: String, for duration: Duration) async throws(QueueError) {
        _ = try await run(QueueScripts.providerPause, keys: [keys.provider(model)], arguments: [clock.nowMilliseconds(), max(0, duration.milliseconds)])
    }
}
