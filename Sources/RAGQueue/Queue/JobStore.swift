import Foundation
/// The job queue's storage: the seam between workers, the API and the store behind them.
///
/// Implementations: `ValkeyJobStore` (production: every state change one Lua script) and
/// `InMemoryJobStore` (one process; tests and embedding). Both pass the same contract tests.
///
/// Every state change is atomic. Writes about a claimed job carry its `JobLease`; a lease that a
/// newer attempt has taken over is refused with `QueueError.staleToken`.
public protocol JobStore: Sendable {
    // MARK: Lifecycle

    /// Adds a job; refuses with `queueFull` beyond the configured depth.
    func enqueue(_ request: EnqueueRequest) async throws(QueueError) -> EnqueueResult
    /// Takes up to `count` waiting jobs for `workerID`, each under a fresh lease.
    func claim(workerID: String, count: Int) async throws(QueueError) -> ClaimBatch
    /// A waiter that blocks, without polling, until work may be available.
    func makeWorkWaiter() -> any WorkWaiter
    /// Extends the leases of held jobs, in one step.
    func renew(_ leases: [JobLease]) async throws(QueueError) -> [LeaseRenewal]
    /// Stores the result of a held job; it ends `finished`. The attempt's `usage` goes to the
    /// job's record, its tenant's ledger and budget. A job with a place in the answer cache stores
    /// its answer there, and `cache` adds its question's embedding to its semantic scope's index,
    /// or records that it reused a similar question's answer (`cached_from`, `similarity`).
    func complete(_ lease: JobLease, result: [UInt8], timings: [String: Double], usage: JobUsage, cache: AnswerCacheWrite) async throws(QueueError)
    /// Reports a failure of a held job; transient failures are retried at `retryAt` while attempts
    /// remain. The attempt's `usage` counts whatever happens next.
    func fail(
        _ lease: JobLease, failure: JobFailure, retryAtMilliseconds: Int64, timings: [String: Double], usage: JobUsage
    ) async throws(QueueError) -> FailureOutcome
    /// Hands a held job back unfinished; the attempt does not count.
    func release(_ lease: JobLease) async throws(QueueError)
    /// Cancels a job: at once when waiting, at its next step when running.
    func cancel(_ id: JobID) async throws(QueueError) -> CancelOutcome
    /// Puts a failed job back in the queue (an operator's retry): `QueueConfiguration.maxAttempts`
    /// more attempts, counted on from its last; it keeps its place in its tenant's line, and reserves
    /// no budget again (what it spends still counts). Throws `invalidState` unless the job failed.
    func retry(_ id: JobID) async throws(QueueError)
    /// Cancels every waiting job at once (a step of the simulator ends); returns how many.
    func cancelWaiting() async throws(QueueError) -> Int
    /// Requeues or fails jobs whose leases expired and promotes due retries.
    func reclaimExpired() async throws(QueueError) -> ReclaimReport

    // MARK: Reading

    /// Reads a job; nil when unknown or expired.
    func job(_ id: JobID) async throws(QueueError) -> JobRecord?
    /// The jobs held by workers now, with their leases, at most `limit`.
    func runningJobs(limit: Int) async throws(QueueError) -> [JobRecord]
    /// Retires every cached answer retrieved from `collection` by bumping its version, which every
    /// answer-cache key carries; returns the new version. Whatever changes a collection's documents
    /// (ingest) calls it afterwards.
    func retireAnswers(of collection: String) async throws(QueueError) -> Int64
    /// The entries of a semantic scope's index after `cursor` (all of them when nil), oldest first;
    /// an index keeps its last `SimilarAnswers.capacity` entries and lives as long as its answers.
    func similarAnswers(in scope: String, after cursor: String?) async throws(QueueError) -> SimilarAnswers
    /// The cached answer an index entry refers to; nil once it expired or was retired.
    func cachedAnswer(_ reference: String) async throws(QueueError) -> CachedAnswer?
    /// The recent jobs that pass `filter`, newest first (by creation; by the time of their state's
    /// own index for failed, running and scheduled jobs: `JobFilter.orderedBy`), after `cursor`
    /// (from the newest when nil), at most `limit` of them; the page's `next` is where the next page starts (nil at the end; a
    /// page may come back short of `limit` with a `next` when its filter is rare). Jobs are listed as
    /// long as their records are kept (`resultTTL`, `failureTTL`).
    func jobs(matching filter: JobFilter, after cursor: JobCursor?, limit: Int) async throws(QueueError) -> JobPage
    /// The records still kept of jobs created in `[start, end)`, oldest first (same millisecond: by
    /// id). Records expire after `QueueConfiguration.resultTTL`; older jobs are gone.
    func jobs(createdFrom start: Date, until end: Date) async throws(QueueError) -> [JobRecord]
    /// A snapshot of the queue's sizes and counters.
    func stats() async throws(QueueError) -> QueueStats
    /// Every tenant the queue has seen: its line, what runs, its share and its usage.
    func tenantStats() async throws(QueueError) -> [TenantStats]
    /// The tenant's budget in the period holding now, counted in `unit`.
    func budgetStatus(tenant: String?, period: BudgetReservation.Period, unit: BudgetReservation.Unit) async throws(QueueError) -> BudgetStatus
    /// Reports an outage-like backend failure to the queue's circuit breaker (`CircuitPolicy`) and
    /// returns the circuit as it now stands.
    func reportBackendFailure() async throws(QueueError) -> CircuitState
    /// Answers when the store is reachable; throws `backendUnavailable` when not.
    func ping() async throws(QueueError)
    /// The queue's identity marker (`QueueKeys.identity`): written with a random value first when
    /// `create` and none is there; nil when there is none. A store whose marker vanished or changed
    /// lost what it held.
    func identity(create: Bool) async throws(QueueError) -> String?

    // MARK: Events

    /// Delivers `id`'s events to `sink` from now on, until the observation is cancelled or the
    /// store closes (then `sink.finish`). Events published while the store could not listen are
    /// replaced by `.resync`. See `events(for:)` for the same as an `AsyncStream`.
    func observeEvents(of id: JobID, _ sink: EventSink) -> EventObservation
    /// Delivers every job's end (finished, failed or canceled by a worker, a reclaim or a cancel;
    /// answers from the cache at submit are not among them) to `sink` from now on, with its times,
    /// until the observation is cancelled. Ends published while the store could not listen are
    /// missed: this is for figures, not for bookkeeping.
    func observeEnds(_ sink: @escaping @Sendable (JobEnd) -> Void) -> EventObservation

    // MARK: Streamed answers

    /// Appends entries to the job's token stream (see `docs/streaming.md`), in order, and tells
    /// the job's watchers (`JobEvent.tokens`).
    func appendTokens(_ entries: [TokenEntry.Kind], to id: JobID) async throws(QueueError)
    /// The entries of the job's token stream after `cursor` (from its start when nil), without
    /// waiting: a reader waits for `JobEvent.tokens`, then reads again.
    func tokens(of id: JobID, after cursor: String?) async throws(QueueError) -> [TokenEntry]

    // MARK: Workers

    /// Announces a live worker until `ttl` passes without another heartbeat.
    func heartbeat(_ worker: WorkerInfo, ttl: Duration) async throws(QueueError)
    /// Removes a worker that is shutting down.
    func removeWorker(_ id: String) async throws(QueueError)
    /// The live workers' announcements.
    func workers() async throws(QueueError) -> [WorkerInfo]
}

/// Blocks until work may be waiting: one per claiming loop, since each may hold a connection.
public protocol WorkWaiter: Sendable {
    /// Returns when a job may be waiting, or after `timeout`.
    func wait(timeout: Duration) async throws(QueueError)
    /// Releases the waiter's connection; a blocked `wait` returns at once.
    func close()
}

extension JobStore {
    /// Stores the result of a held job that reports no usage.
    public func complete(_ lease: JobLease, result: [UInt8], timings: [String: Double]) async throws(QueueError) {
        try await complete(lease, result: result, timings: timings, usage: JobUsage(), cache: AnswerCacheWrite())
    }

    /// Stores the result of a held job that adds nothing to the semantic answer cache.
    public func complete(_ lease: JobLease, result: [UInt8], timings: [String: Double], usage: JobUsage) async throws(QueueError) {
        try await complete(lease, result: result, timings: timings, usage: usage, cache: AnswerCacheWrite())
    }

    /// Reports a failure of a held job that reports no usage.
    public func fail(
        _ lease: JobLease, failure: JobFailure, retryAtMilliseconds: Int64, timings: [String: Double]
    ) async throws(QueueError) -> FailureOutcome {
        try await fail(lease, failure: failure, retryAtMilliseconds: retryAtMilliseconds, timings: timings, usage: JobUsage())
    }

    /// Waits until the job has ended or `timeout` passes, and returns its record as it then is
    /// (nil for an unknown or expired id). Pushed by `events(for:)`, never polled.
    public func waitForEnd(of id: JobID, timeout: Duration) async throws(QueueError) -> JobRecord? {
        let watch = endWatch(for: id)
        // Subscribe first, then read: an end that happens in between is not missed.
        guard let record = try await job(id) else { return nil }
        return try await waitForEnd(of: record, timeout: timeout, watch: watch)
    }

    /// Waits until the job of `record` has ended or `timeout` passes, and returns its record as it
    /// then is (nil once expired); `watch` is `endWatch(for:)` of its id, made before `record`
    /// was read, so an end in between is not missed. A caller that reads the record anyway (to
    /// check it may see it) saves a read this way.
    public func waitForEnd(of record: JobRecord, timeout: Duration, watch: JobEndWatch) async throws(QueueError) -> JobRecord? {
        var record = record
        let deadline = ContinuousClock.now + timeout
        while !record.status.isTerminal {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, await watch.next(within: remaining) else { break }
            // An end event or a resync: read the record again (after a resync it may still run).
            guard let fresh = try await job(record.id) else { return nil }
            record = fresh
        }
        return record
    }

    /// The entries of the job's token stream from its start.
    public func tokens(of id: JobID) async throws(QueueError) -> [TokenEntry] {
        try await tokens(of: id, after: nil)
    }

    /// A stream of `id`'s events from now on (`observeEvents`, the newest 64 kept for a slow
    /// reader); it ends when the task reading it is cancelled or the store closes.
    public func events(for id: JobID) -> AsyncStream<JobEvent> {
        let (stream, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let observation = observeEvents(of: id, EventSink(deliver: { continuation.yield($0) }, finish: { continuation.finish() }))
        continuation.onTermination = { _ in observation.cancel() }
        return stream
    }

    /// A watch for `id`'s end (or a resync) from now on: what a long-poll waits on.
    public func endWatch(for id: JobID) -> JobEndWatch {
        JobEndWatch { sink in observeEvents(of: id, sink) }
    }
}
