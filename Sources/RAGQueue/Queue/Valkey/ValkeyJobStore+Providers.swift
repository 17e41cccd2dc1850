import Valkey

extension ValkeyJobStore {
    public func leaseProviderCapacity(
        model: String, holder: ProviderHolder, settling settlement: ProviderSettlement, lease: ProviderLeaseRequest?, limits: ProviderLimits
    ) async throws(QueueError) -> ProviderLease {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "" }
        let said = settlement.observation.map {
            [text($0.limitRequests), text($0.limitTokens), text($0.remainingRequests), text($0.remainingTokens)].joined(separator: ",")
        }
        let reply = try await run(
            QueueScripts.providerLease, keys: [keys.provider(model), keys.providerHolders(model)],
            arguments: [
                clock.nowMilliseconds(), limits.requestsPerMinute ?? 0, limits.tokensPerMinute ?? 0,
                settlement.requests, settlement.requestsBack, settlement.tokens, settlement.tokensBack, said ?? "",
                lease == nil ? 0 : 1, lease?.tokens ?? 0, lease?.windowMilliseconds ?? 0, lease?.requests ?? 1, lease?.wantedTokens ?? 0,
                holder.id, holder.horizonMilliseconds,
            ]
        )
        let figures = (reply.array ?? []).map(\.int)
        switch (figures.first, figures.count) {
        case (0, 3):
            guard let requests = figures[1], let tokens = figures[2] else { break }
            return .granted(requests: requests < 0 ? nil : Int(requests), tokens: tokens < 0 ? nil : Int(tokens))
        case (1, 2):
            guard let wait = figures[1] else { break }
            return .wait(.milliseconds(wait))
        case (2, 1):
            return .none
        default:
            break
        }
        throw .corruptRecord("unexpected provider_lease reply")
    }

    public func pauseProvider(model: String, for duration: Duration) async throws(QueueError) {
        _ = try await run(QueueScripts.providerPause, keys: [keys.provider(model)], arguments: [clock.nowMilliseconds(), max(0, duration.milliseconds)])
    }
}
