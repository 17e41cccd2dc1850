import Synchronization

extension InMemoryJobStore {
    // MARK: Events

    public func observeEvents(of id: JobID, _ sink: EventSink) -> EventObservation {
        watchers.add(sink, for: id)
    }

    public func observeEnds(_ sink: @escaping @Sendable (JobEnd) -> Void) -> EventObservation {
        watchers.addEnds(sink)
    }

    // MARK: Token streams

    public func appendTokens(_ entries: [TokenEntry.Kind], to id: JobID) async throws(QueueError) {
        guard !entries.isEmpty else { return }
        let now = clock.nowMilliseconds()
        state.withLock { state in
            var log = state.tokens[id] ?? TokenLog()
            for entry in entries {
                log.entries.append(TokenEntry(id: log.nextID(now: now), kind: entry))
            }
            state.tokens[id] = log
        }
        publish([(id, .tokens)])
    }

    public func tokens(of id: JobID, after cursor: String?) async throws(QueueError) -> [TokenEntry] {
        state.withLock { $0.tokens[id]?.after(cursor) ?? [] }
    }

    /// Waits until work is enqueued or due, `timeout` passes, or the store closes.
    func waitForWork(timeout: Duration) async {
        await waitForSignal(timeout: timeout) { state, key, continuation in
            guard state.scheduler.eligible.isEmpty else { return false }
            state.workWaiters[key] = continuation
            return true
        } cancel: { state, key in
            state.workWaiters.removeValue(forKey: key)
        }
    }

    /// Parks the caller with `register` (false: no need to wait) until it is resumed or `timeout`
    /// passes, when `cancel` takes its continuation back.
    private func waitForSignal(
        timeout: Duration,
        register: @escaping (inout State, Int, CheckedContinuation<Void, Never>) -> Bool,
        cancel: @escaping @Sendable (inout State, Int) -> CheckedContinuation<Void, Never>?
    ) async {
        guard timeout > .zero else { return }
        let key = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.state.withLock { cancel(&$0, key) }?.resume()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { register(&$0, key, continuation) }
                if !parked { continuation.resume() }
            }
        } onCancel: { [weak self] in
            self?.state.withLock { cancel(&$0, key) }?.resume()
        }
        timer.cancel()
    }

    // MARK: Webhook outbox

    public func addPendingDelivery(_ id: JobID) async throws(QueueError) {
        _ = state.withLock { $0.pendingDeliveries.insert(id) }
    }

    public func pendingDeliveries() async throws(QueueError) -> [JobID] {
        state.withLock { Array($0.pendingDeliveries) }
    }

    public func holdDelivery(_ id: JobID, owner: String, lease: Duration) async throws(QueueError) -> Bool {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            guard state.pendingDeliveries.contains(id) else { return false }
            if let holder = state.deliveryLeases[id], holder.until > now, holder.owner != owner { return false }
            state.deliveryLeases[id] = (owner, now + lease.milliseconds)
            return true
        }
    }

    public func finishDelivery(_ id: JobID, owner: String) async throws(QueueError) {
        state.withLock { state in
            if state.deliveryLeases[id]?.owner == owner { state.deliveryLeases[id] = nil }
            state.pendingDeliveries.remove(id)
        }
    }

    // MARK: Rate limits

    public func takeToken(from bucket: String, limit: TokenBucket) async throws(QueueError) -> TokenBucket.Decision {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            let current = state.buckets[bucket] ?? (Double(limit.capacity), now)
            let (tokens, decision) = limit.take(tokens: current.tokens, elapsedMilliseconds: now - current.at)
            state.buckets[bucket] = (tokens, max(now, current.at))
            return decision
        }
    }
}

/// Waits for work on an in-memory store: enqueues, retries and reclaims wake it.
final class InMemoryWorkWaiter: WorkWaiter {
    private let store: InMemoryJobStore

    init(store: InMemoryJobStore) {
        self.store = store
    }

    func wait(timeout: Duration) async throws(QueueError) {
        await store.waitForWork(timeout: timeout)
    }

    /// Wakes the store's idle waiters (this one among them); a spurious wake-up only costs a claim.
    func close() {
        for waiter in store.state.withLock({ $0.takeWorkWaiters() }) { waiter.resume() }
    }
}

extension InMemoryJobStore {
    // MARK: Provider budgets

    public func leaseProviderCapacity(
        model: String, holder: ProviderHolder, settling settlement: ProviderSettlement, lease: ProviderLeaseRequest?, limits: ProviderLimits
    ) async throws(QueueError) -> ProviderLease {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            var bucket = state.providers[model] ?? ProviderBucket(now: now)
            bucket.settle(settlement, holder: holder, now: now, configured: limits)
            let granted = lease.map { bucket.lease($0, holder: holder, now: now, configured: limits) } ?? ProviderLease.none
            state.providers[model] = bucket
            return granted
        }
    }

    public func pauseProvider(model: String, for duration: Duration) async throws(QueueError) {
        let now = clock.nowMilliseconds()
        state.withLock { state in
            var bucket = state.providers[model] ?? ProviderBucket(now: now)
            bucket.pausedUntil = max(bucket.pausedUntil, now + duration.milliseconds)
            state.providers[model] = bucket
        }
    }
}
