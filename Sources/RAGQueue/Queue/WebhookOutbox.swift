/// The jobs whose end must be delivered to a callback URL, kept by the queue until the delivery is
/// over, so a delivery cut short by a crashed process is taken up by another.
///
/// One process at a time delivers a job: it holds the job's delivery lease, taken and extended with
/// `holdDelivery`, which runs out by itself when its holder dies.
public protocol WebhookOutbox: Sendable {
    /// Records that the end of `id` must be delivered.
    func addPendingDelivery(_ id: JobID) async throws(QueueError)
    /// Every job whose delivery is not over yet.
    func pendingDeliveries() async throws(QueueError) -> [JobID]
    /// Takes the delivery lease of `id` for `owner`, or extends it when `owner` holds it already,
    /// for `lease` from now; false when another owner holds it, or when `id` is no longer in the
    /// outbox (its delivery is over: nobody may deliver it again).
    func holdDelivery(_ id: JobID, owner: String, lease: Duration) async throws(QueueError) -> Bool
    /// The delivery of `id` is over (delivered, abandoned, or its job is gone): it leaves the outbox,
    /// and the lease is released if `owner` holds it.
    func finishDelivery(_ id: JobID, owner: String) async throws(QueueError)
}
