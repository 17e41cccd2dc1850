import Valkey

extension ValkeyJobStore {
    public func addPendingDelivery(_ id: JobID) async throws(QueueError) {
        try await send(ValkeyCommand("SADD", keys.webhookPending, id.rawValue))
    }

    public func pendingDeliveries() async throws(QueueError) -> [JobID] {
        (try await send(ValkeyCommand("SMEMBERS", keys.webhookPending)).array ?? []).compactMap { $0.string.flatMap(JobID.init) }
    }

    public func holdDelivery(_ id: JobID, owner: String, lease: Duration) async throws(QueueError) -> Bool {
        try await run(
            QueueScripts.holdDelivery, keys: [keys.webhookLease(id), keys.webhookPending], arguments: [owner, max(1, lease.milliseconds), id.rawValue]
        ).int == 1
    }

    public func finishDelivery(_ id: JobID, owner: String) async throws(QueueError) {
        _ = try await run(QueueScripts.finishDelivery, keys: [keys.webhookPending, keys.webhookLease(id)], arguments: [id.rawValue, owner])
    }
}
