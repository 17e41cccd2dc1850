import Foundation
import Synchronization

/// The job queue in one process's memory: the same contract as `ValkeyJobStore` (the contract
/// tests run against both), without a server. For tests (API handlers, workers) and for programs
/// that embed the queue; nothing survives the process.
///
/// Every operation runs under one lock, so each is atomic like a Valkey script. Status changes
/// follow `JobStateMachine`, the specification both stores implement.
public final class InMemoryJobStore: QueueStore {
    /// The queue's settings (name and prefix unused).
    public let configuration: QueueConfiguration
    let clock: any WallClock
    let state = Mutex(State())

    /// An empty queue behaving as `configuration` says, on `clock`.
    public init(configuration: QueueConfiguration = .init(), clock: any WallClock = SystemWallClock()) throws(QueueError) {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
    }

    /// Ends every open event stream and wakes every waiter; later calls keep working on the data.
    public func close() {
        let (streams, waiters) = state.withLock { state in
            let streams = state.eventStreams.values.flatMap(\.values)
            state.eventStreams = [:]
            let waiters = state.takeAllWaiters()
            return (streams, waiters)
        }
        for stream in streams { stream.finish() }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Lifecycle

    public func enqueue(_ request: EnqueueRequest) async throws(QueueError) -> EnqueueResult {
        guard !request.kind.isEmpty else { throw .invalidPayload("job kind must not be empty") }
        let maxAttempts = request.maxAttempts ?? configuration.maxAttempts
        guard (1...100).contains(maxAttempts) else { throw .invalidPayload("max attempts must be 1-100") }
        let now = clock.nowMilliseconds()
        let (result, wake): (Result<EnqueueResult, QueueError>, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            state.expire(now: now)
            let idempotency = request.idempotencyKey.map { (request.tenant ?? "") + ":" + $0 }
            if let idempotency, let existing = state.idempotency[idempotency], existing.expiresAt > now {
                return (.success(EnqueueResult(id: existing.id, existing: true)), [])
            }
            let depth = state.waiting.count + state.scheduled.count
            if configuration.maxDepth > 0, depth >= configuration.maxDepth { return (.failure(.queueFull(depth: depth)), []) }
            let id = JobID()
            if let idempotency {
                state.idempotency[idempotency] = (id, now + configuration.failureTTL.milliseconds)
            }
            state.jobs[id] = Job(
                id: id, kind: request.kind, payload: request.payload, maxAttempts: maxAttempts, createdAt: now,
                requestID: request.requestID, tenant: request.tenant, idempotencyKey: idempotency
            )
            state.waiting.append(id)
            state.count("enqueued")
            return (.success(EnqueueResult(id: id, existing: false)), state.takeWorkWaiters())
        }
        for waiter in wake { waiter.resume() }
        return try result.get()
    }

    public func claim(workerID: String, count: Int) async throws(QueueError) -> ClaimBatch {
        guard count > 0 else { return ClaimBatch(jobs: [], nextDueMilliseconds: nil) }
        let now = clock.nowMilliseconds()
        let lease = configuration.lease.milliseconds
        let (batch, events) = state.withLock { state in
            state.expire(now: now)
            var events = state.promoteDue(now: now)
            var jobs: [ClaimedJob] = []
            while jobs.count < count, !state.waiting.isEmpty {
                let id = state.waiting.removeFirst()
                guard var job = state.jobs[id] else { continue }
                var machine = job.stateMachine
                state.fence += 1
                guard machine.claim(token: state.fence) == .moved(to: .started) else { continue }
                job.apply(machine)
                job.startedAt = now
                if job.firstStartedAt == nil { job.firstStartedAt = now }
                job.workerID = workerID
                job.leaseUntil = now + lease
                state.jobs[id] = job
                state.active[id] = now + lease
                events.append((id, .status(.started)))
                jobs.append(ClaimedJob(
                    id: id, token: job.token, attempt: job.attempts, maxAttempts: job.maxAttempts, kind: job.kind, payload: job.payload,
                    createdAtMilliseconds: job.createdAt, enqueuedAtMilliseconds: job.enqueuedAt, claimedAtMilliseconds: now,
                    requestID: job.requestID, tenant: job.tenant
                ))
            }
            return (ClaimBatch(jobs: jobs, nextDueMilliseconds: state.scheduled.values.min()), events)
        }
        publish(events)
        return batch
    }

    public func makeWorkWaiter() -> any WorkWaiter {
        InMemoryWorkWaiter(store: self)
    }

    public func renew(_ leases: [JobLease]) async throws(QueueError) -> [LeaseRenewal] {
        let now = clock.nowMilliseconds()
        let deadline = now + configuration.lease.milliseconds
        return state.withLock { state in
            leases.map { lease in
                guard var job = state.jobs[lease.id], Self.refusal(job, token: lease.token) == nil else { return .lost }
                job.leaseUntil = deadline
                state.jobs[lease.id] = job
                state.active[lease.id] = deadline
                return job.cancelRequested ? .cancelRequested : .renewed
            }
        }
    }

    public func complete(_ lease: JobLease, result: [UInt8], timings: [String: Double]) async throws(QueueError) {
        let now = clock.nowMilliseconds()
        _ = try change(lease, repeatOf: .finished) { job, machine, state throws(QueueError) in
            _ = machine.complete(token: lease.token)
            job.result = result
            job.timings = timings
            state.active[job.id] = nil
            state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
            state.count("finished")
        }
    }

    public func fail(_ lease: JobLease, failure: JobFailure, retryAtMilliseconds: Int64, timings: [String: Double]) async throws(QueueError) -> FailureOutcome {
        let now = clock.nowMilliseconds()
        let outcome: FailureOutcome? = try change(lease) { job, machine, state throws(QueueError) in
            _ = machine.fail(token: lease.token, transient: failure.transient)
            state.active[job.id] = nil
            job.error = failure
            job.timings = timings
            switch machine.status {
            case .scheduled:
                job.apply(machine)
                job.retryAt = retryAtMilliseconds
                job.leaseUntil = nil
                state.scheduled[job.id] = retryAtMilliseconds
                state.count("retried")
                state.pendingEvents.append((job.id, .status(.scheduled)))
                state.pendingWake = true
                return .scheduled
            case .canceled:
                state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                state.count("canceled")
                return .canceled
            default:
                state.failed[job.id] = now
                state.finish(&job, machine: machine, now: now, ttl: configuration.failureTTL)
                state.count("failed")
                return .failed
            }
        }
        return outcome ?? .failed
    }

    public func release(_ lease: JobLease) async throws(QueueError) {
        let now = clock.nowMilliseconds()
        _ = try change(lease) { job, machine, state throws(QueueError) in
            _ = machine.release(token: lease.token)
            state.active[job.id] = nil
            if machine.status == .canceled {
                state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                state.count("canceled")
            } else {
                job.apply(machine)
                job.enqueuedAt = now
                job.leaseUntil = nil
                state.waiting.insert(job.id, at: 0)
                state.count("released")
                state.pendingEvents.append((job.id, .status(.queued)))
                state.pendingWake = true
            }
        }
    }

    public func cancel(_ id: JobID) async throws(QueueError) -> CancelOutcome {
        let now = clock.nowMilliseconds()
        let (outcome, events): (Result<CancelOutcome, QueueError>, [(JobID, JobEvent)]) = state.withLock { state in
            state.expire(now: now)
            guard var job = state.jobs[id] else { return (.failure(.notFound(id)), []) }
            var machine = job.stateMachine
            guard case .moved(let status) = machine.cancel() else { return (.failure(.alreadyEnded(id, job.status.rawValue)), []) }
            if status == .canceled {
                state.waiting.removeAll { $0 == id }
                state.scheduled[id] = nil
                state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                state.jobs[id] = job
                state.count("canceled")
                return (.success(.canceled), state.takeEvents())
            }
            job.apply(machine)
            state.jobs[id] = job
            return (.success(.requested), [(id, .cancelRequested)])
        }
        publish(events)
        return try outcome.get()
    }

    public func cancelWaiting() async throws(QueueError) -> Int {
        let now = clock.nowMilliseconds()
        let (canceled, events) = state.withLock { state in
            let ids = state.waiting + state.scheduled.keys.sorted { $0.rawValue < $1.rawValue }
            state.waiting = []
            state.scheduled = [:]
            var canceled = 0
            for id in ids {
                guard var job = state.jobs[id] else { continue }
                var machine = job.stateMachine
                guard machine.cancel() == .moved(to: .canceled) else { continue }
                state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                state.jobs[id] = job
                canceled += 1
            }
            if canceled > 0 { state.count("canceled", by: canceled) }
            return (canceled, state.takeEvents())
        }
        publish(events)
        return canceled
    }

    public func reclaimExpired() async throws(QueueError) -> ReclaimReport {
        let now = clock.nowMilliseconds()
        let (report, events, wake) = state.withLock { state in
            state.expire(now: now)
            var report = ReclaimReport(requeued: 0, failed: 0, canceled: 0, promoted: 0)
            for (id, deadline) in state.active.sorted(by: { $0.value < $1.value }) where deadline <= now {
                state.active[id] = nil
                guard var job = state.jobs[id], job.status == .started else { continue }
                var machine = job.stateMachine
                _ = machine.leaseExpired()
                let worker = job.workerID ?? "unknown"
                job.error = JobFailure(
                    code: "lease_expired",
                    message: "worker \(worker) stopped renewing its lease on attempt \(job.attempts) of \(job.maxAttempts)",
                    transient: true, attempt: job.attempts
                )
                switch machine.status {
                case .canceled:
                    state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                    state.jobs[id] = job
                    state.count("canceled")
                    report.canceled += 1
                case .queued:
                    job.apply(machine)
                    job.enqueuedAt = now
                    job.leaseUntil = nil
                    state.jobs[id] = job
                    state.waiting.insert(id, at: 0)
                    state.count("reclaimed")
                    state.pendingEvents.append((id, .status(.queued)))
                    report.requeued += 1
                default:
                    job.error = JobFailure(
                        code: "lease_expired",
                        message: "gave up after \(job.attempts) attempts: the last worker (\(worker)) stopped renewing its lease",
                        transient: false, attempt: job.attempts
                    )
                    state.failed[id] = now
                    state.finish(&job, machine: machine, now: now, ttl: configuration.failureTTL)
                    state.jobs[id] = job
                    state.count("failed")
                    report.failed += 1
                }
            }
            let promoted = state.promoteDue(now: now)
            report.promoted = promoted.count
            state.pendingEvents += promoted
            state.failed = state.failed.filter { $0.value > now - configuration.failureTTL.milliseconds }
            state.workers = state.workers.filter { $0.value.deadline > now }
            let wake = report.requeued + report.promoted > 0 ? state.takeWorkWaiters() : []
            return (report, state.takeEvents(), wake)
        }
        publish(events)
        for waiter in wake { waiter.resume() }
        return report
    }

    // MARK: Reading

    public func job(_ id: JobID) async throws(QueueError) -> JobRecord? {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            state.expire(now: now)
            return state.jobs[id].map { $0.record }
        }
    }

    public func runningJobs(limit: Int) async throws(QueueError) -> [JobRecord] {
        state.withLock { state in
            state.active.sorted { $0.value < $1.value }.prefix(max(0, limit)).compactMap { state.jobs[$0.key]?.record }
        }
    }

    public func stats() async throws(QueueError) -> QueueStats {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            state.expire(now: now)
            let oldest = state.waiting.first.flatMap { state.jobs[$0]?.enqueuedAt }
            return QueueStats(
                waiting: state.waiting.count, active: state.active.count, scheduled: state.scheduled.count, failed: state.failed.count,
                oldestWaitingSeconds: oldest.map { max(0, Double(now - $0) / 1000) } ?? 0,
                liveWorkers: state.workers.values.filter { $0.deadline > now }.count,
                expiredLeases: state.active.values.filter { $0 <= now }.count,
                counters: state.counters
            )
        }
    }

    public func ping() async throws(QueueError) {}

    // MARK: Workers

    public func heartbeat(_ worker: WorkerInfo, ttl: Duration) async throws(QueueError) {
        let deadline = clock.nowMilliseconds() + ttl.milliseconds
        state.withLock { $0.workers[worker.id] = (worker, deadline) }
    }

    public func removeWorker(_ id: String) async throws(QueueError) {
        state.withLock { $0.workers[id] = nil }
    }

    public func workers() async throws(QueueError) -> [WorkerInfo] {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            state.workers.values.filter { $0.deadline > now }.map(\.info).sorted { $0.id < $1.id }
        }
    }

    // MARK: Helpers

    /// Refuses a write by a caller that does not hold the job's current lease, as the scripts'
    /// `check_holder` does; nil when `token` holds it.
    static func refusal(_ job: Job, token: Int64) -> QueueError? {
        if job.token != token { return .staleToken(job.id) }
        if job.status != .started {
            return job.status.isTerminal ? .alreadyEnded(job.id, job.status.rawValue) : .invalidState(job.id, job.status.rawValue)
        }
        return nil
    }

    /// Runs `body` on the job `lease` names when the lease is current, then stores the job. A
    /// refused write by a stale holder is counted as `refused`; a repeat of a write that left the job
    /// in `repeatOf` by the same holder returns nil instead.
    private func change<T: Sendable>(
        _ lease: JobLease, repeatOf: JobStatus? = nil,
        _ body: (inout Job, inout JobStateMachine, inout State) throws(QueueError) -> T
    ) throws(QueueError) -> T? {
        let now = clock.nowMilliseconds()
        let (result, events, wake): (Result<T?, QueueError>, [(JobID, JobEvent)], [CheckedContinuation<Void, Never>]) = state.withLock { state in
            state.expire(now: now)
            guard var job = state.jobs[lease.id] else { return (.failure(.notFound(lease.id)), [], []) }
            if let refusal = Self.refusal(job, token: lease.token) {
                if let repeatOf, job.token == lease.token, job.status == repeatOf { return (.success(nil), [], []) }
                state.count("refused")
                return (.failure(refusal), [], [])
            }
            var machine = job.stateMachine
            let result: Result<T?, QueueError>
            do throws(QueueError) {
                result = .success(try body(&job, &machine, &state))
            } catch {
                result = .failure(error)
            }
            state.jobs[job.id] = job
            let wake = state.pendingWake ? state.takeWorkWaiters() : []
            state.pendingWake = false
            return (result, state.takeEvents(), wake)
        }
        publish(events)
        for waiter in wake { waiter.resume() }
        return try result.get()
    }

    /// Sends `events` to the streams watching their jobs.
    func publish(_ events: [(JobID, JobEvent)]) {
        guard !events.isEmpty else { return }
        let targets = state.withLock { state in
            events.map { (state.eventStreams[$0.0].map { Array($0.values) } ?? [], $0.1) }
        }
        for (streams, event) in targets {
            for stream in streams { stream.yield(event) }
        }
    }
}
