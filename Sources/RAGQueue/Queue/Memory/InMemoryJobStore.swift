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
    /// Who watches which job's events.
    let watchers = JobEventRegistry()

    /// An empty queue behaving as `configuration` says, on `clock`.
    public init(configuration: QueueConfiguration = .init(), clock: any WallClock = SystemWallClock()) throws(QueueError) {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
    }

    /// Ends every open event stream and wakes every waiter; later calls keep working on the data.
    public func close() {
        watchers.finishAll()
        for waiter in state.withLock({ $0.takeWorkWaiters() }) { waiter.resume() }
    }

    // MARK: Lifecycle

    public func enqueue(_ request: EnqueueRequest) async throws(QueueError) -> EnqueueResult {
        let maxAttempts = try request.checked(defaultAttempts: configuration.maxAttempts)
        let now = clock.nowMilliseconds()
        let (result, wake): (Result<EnqueueResult, QueueError>, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            state.expire(now: now)
            let idempotency = request.idempotencyKey.map { (request.tenant ?? "") + ":" + $0 }
            if let idempotency, let existing = state.idempotency[idempotency], existing.expiresAt > now {
                return (.success(EnqueueResult(id: existing.id, existing: true)), [])
            }
            var cacheKey: String?
            var semanticScope: String?
            let budgetKey = request.budget.map { "\(request.tenantKey):\($0.unit.rawValue):\($0.period.id(at: now))" }
            /// A new job that waits (for a worker or a leader): its idempotency key claimed, its
            /// rank from the next sequence number.
            func waitingJob(_ state: inout State) -> Job {
                let id = JobID()
                if let idempotency { state.idempotency[idempotency] = (id, now + configuration.failureTTL.milliseconds) }
                state.sequence += 1
                var job = Job(
                    id: id, request: request, maxAttempts: maxAttempts, createdAt: now,
                    rank: EnqueueRequest.rank(createdAt: now, priority: request.priority, step: configuration.priorityStep, sequence: state.sequence),
                    idempotencyKey: idempotency, budgetKey: budgetKey, cacheKey: cacheKey
                )
                job.semanticScope = semanticScope
                job.note(now, "created")
                return job
            }
            if let cache = request.answerCache {
                let version = String(state.collectionVersions[cache.collection] ?? 0)
                let key = cache.key + ":" + version
                cacheKey = key
                semanticScope = cache.scope.map { $0 + ":" + version }
                if cache.lookup, let hit = state.answers[key], hit.expiresAt > now {
                    let id = JobID()
                    if let idempotency { state.idempotency[idempotency] = (id, now + configuration.resultTTL.milliseconds) }
                    var job = Job(id: id, request: request, maxAttempts: maxAttempts, createdAt: now, rank: 0, idempotencyKey: idempotency, budgetKey: nil)
                    job.status = .finished
                    job.endedAt = now
                    job.result = hit.result
                    job.cachedFrom = hit.job
                    job.note(now, "created")
                    job.note(now, "finished cached_from \(hit.job)")
                    job.ends = 1
                    job.reserved = 0
                    job.expiresAt = now + configuration.resultTTL.milliseconds
                    state.jobs[id] = job
                    for name in ["enqueued", "finished", "cache_hits"] { state.count(name) }
                    state.count("cache_saved_micro_usd", by: Int(hit.costMicroUSD))
                    state.ledgers[job.tenantKey] = (state.ledgers[job.tenantKey] ?? JobUsage()) + [JobUsage.cacheHits: 1, JobUsage.savedMicroUSD: hit.costMicroUSD]
                    return (.success(EnqueueResult(id: id, existing: false, cached: true)), [])
                }
                if cache.lookup, let leader = state.leaders[key], let leading = state.jobs[leader],
                   [.queued, .started, .scheduled].contains(leading.status)
                {
                    // A follower spends nothing and reserves nothing; should it take over from its
                    // leader, it reserves then, and what it spends counts in this budget period.
                    var job = waitingJob(&state)
                    job.leader = leader
                    job.note(now, "follows \(leader)")
                    job.hold = job.reserved
                    job.reserved = 0
                    state.jobs[job.id] = job
                    state.followers[leader, default: []].append(job.id)
                    state.count("enqueued")
                    state.count("coalesced")
                    return (.success(EnqueueResult(id: job.id, existing: false, coalesced: true)), [])
                }
            }
            let depth = state.waiting.count + state.scheduled.count
            if configuration.maxDepth > 0, depth >= configuration.maxDepth {
                let perSecond = state.endedPerSecond(now: now)
                let wait = perSecond > 0.01 ? Int64((Double(depth - configuration.maxDepth + 1) / perSecond * 1000).rounded(.up)) : 30_000
                return (.failure(.queueFull(depth: depth, retryAfter: .milliseconds(min(max(wait, 1000), 300_000)))), [])
            }
            if let budget = request.budget, let key = budgetKey {
                var status = state.budgets[key] ?? BudgetStatus(reserved: 0, spent: 0, limit: 0)
                guard status.reserved + status.spent + budget.amount <= budget.limit else {
                    return (.failure(.budgetExhausted(retryAfter: .milliseconds(budget.period.remaining(at: now)))), [])
                }
                status.reserved += budget.amount
                status.limit = budget.limit
                state.budgets[key] = status
            }
            let job = waitingJob(&state)
            let id = job.id
            state.jobs[id] = job
            if let cacheKey { state.leaders[cacheKey] = id }
            if let policy = request.tenantPolicy {
                state.scheduler.configure(request.tenantKey, weight: policy.weight, limit: policy.maxRunning ?? 0)
            }
            state.pushReady(job, now: now)
            state.count("enqueued")
            return (.success(EnqueueResult(id: id, existing: false)), state.takeWorkWaiters())
        }
        for waiter in wake { waiter.resume() }
        // An answer from the cache ends the job at once: announced like any end (the scripts' publish_end).
        if case .success(let enqueued) = result, enqueued.cached { publish([(enqueued.id, .status(.finished))]) }
        return try result.get()
    }

    public func claim(workerID: String, count: Int) async throws(QueueError) -> ClaimBatch {
        guard count > 0 else { return ClaimBatch(jobs: [], nextDueMilliseconds: nil) }
        let now = clock.nowMilliseconds()
        let lease = configuration.lease.milliseconds
        let (batch, events) = state.withLock { state in
            state.expire(now: now)
            // The circuit as the claim script reads it: open takes nothing, half-open one job.
            if state.circuit.isOpen(at: now) {
                return (ClaimBatch(jobs: [], nextDueMilliseconds: state.circuit.openUntilMilliseconds), [(JobID, JobEvent)]())
            }
            let count = state.circuit.trips > 0 ? min(count, 1) : count
            var events = state.promoteDue(now: now)
            var jobs: [ClaimedJob] = []
            var visits = 0
            while jobs.count < count, visits < count + 1000, let (tenant, pass, next) = state.scheduler.popNext() {
                visits += 1
                defer { state.scheduler.activate(tenant) }
                guard let id = next else { continue }
                state.waiting[id] = nil
                // An id whose record expired or was canceled is dropped here, at no cost to its tenant.
                guard var job = state.jobs[id], job.status == .queued else { continue }
                var machine = job.stateMachine
                state.fence += 1
                _ = machine.claim(token: state.fence)
                state.scheduler.charge(tenant, pass: pass)
                job.apply(machine)
                job.startedAt = now
                if job.firstStartedAt == nil { job.firstStartedAt = now }
                job.workerID = workerID
                job.note(now, "started \(workerID) \(job.attempts)")
                job.leaseUntil = now + lease
                state.jobs[id] = job
                state.active[id] = now + lease
                events.append((id, .status(.started)))
                jobs.append(ClaimedJob(
                    id: id, token: job.token, attempt: job.attempts, maxAttempts: job.maxAttempts, kind: job.kind, payload: job.payload,
                    createdAtMilliseconds: job.createdAt, enqueuedAtMilliseconds: job.enqueuedAt, claimedAtMilliseconds: now,
                    requestID: job.requestID, traceParent: job.traceParent, tenant: job.tenant, priority: job.priority,
                    answerScope: job.semanticScope
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

    public func complete(
        _ lease: JobLease, result: [UInt8], timings: [String: Double], usage: JobUsage, cache: AnswerCacheWrite
    ) async throws(QueueError) {
        let now = clock.nowMilliseconds()
        _ = try change(lease, repeatOf: .finished) { job, machine, state throws(QueueError) in
            _ = machine.complete(token: lease.token)
            job.result = result
            job.timings = timings
            state.leaveActive(job)
            state.add(usage, to: &job)
            if let reused = cache.reused {
                job.cachedFrom = reused.job
                job.similarity = reused.similarity
                for name in ["cache_hits", "semantic_hits"] { state.count(name) }
                state.count("cache_saved_micro_usd", by: Int(reused.costMicroUSD))
                state.ledgers[job.tenantKey] = (state.ledgers[job.tenantKey] ?? JobUsage())
                    + [JobUsage.cacheHits: 1, JobUsage.savedMicroUSD: reused.costMicroUSD]
            }
            state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
            state.count("finished")
            if let key = job.cacheKey {
                state.answers[key] = StoredAnswer(
                    result: result, job: cache.reused?.job ?? job.id, costMicroUSD: cache.reused?.costMicroUSD ?? job.usage[JobUsage.costMicroUSD],
                    expiresAt: now + job.cacheTTL
                )
                if let scope = job.semanticScope, let vector = cache.vector {
                    state.similarAnswersNumber += 1
                    var index = state.similarAnswers[scope] ?? []
                    index.append((state.similarAnswersNumber, SimilarAnswers.Entry(answer: key, vector: vector)))
                    if index.count > SimilarAnswers.capacity { index.removeFirst(index.count - SimilarAnswers.capacity) }
                    state.similarAnswers[scope] = index
                }
            }
            if state.circuit.trips > 0, !state.circuit.isOpen(at: now) { state.circuit = CircuitState(openUntilMilliseconds: 0, trips: 0) }
        }
    }

    public func fail(
        _ lease: JobLease, failure: JobFailure, retryAtMilliseconds: Int64, timings: [String: Double], usage: JobUsage
    ) async throws(QueueError) -> FailureOutcome {
        let now = clock.nowMilliseconds()
        let refundable = failure.isBackendOutage
        let maximumRefunds = configuration.circuit.maximumRefunds
        let outcome: FailureOutcome? = try change(lease) { job, machine, state throws(QueueError) in
            let refund = refundable && job.refunds < maximumRefunds
            if refund { job.refunds += 1 }
            _ = machine.fail(token: lease.token, transient: failure.transient, refund: refund)
            state.leaveActive(job)
            state.add(usage, to: &job)
            job.error = failure
            job.timings = timings
            switch machine.status {
            case .scheduled:
                job.note(now, "scheduled \(failure.code) \(retryAtMilliseconds)")
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
                state.endFailed(&job, machine: machine, now: now, ttl: configuration.failureTTL)
                return .failed
            }
        }
        return outcome ?? .failed
    }

    public func release(_ lease: JobLease) async throws(QueueError) {
        let now = clock.nowMilliseconds()
        _ = try change(lease) { job, machine, state throws(QueueError) in
            _ = machine.release(token: lease.token)
            state.leaveActive(job)
            job.note(now, "released")
            if machine.status == .canceled {
                state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                state.count("canceled")
            } else {
                job.apply(machine)
                job.enqueuedAt = now
                job.leaseUntil = nil
                state.pushReady(job, now: now)
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
                state.dropReady(job)
                state.scheduled[id] = nil
                state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                state.jobs[id] = job
                state.count("canceled")
                return (.success(.canceled), state.takeEvents())
            }
            job.apply(machine)
            job.note(now, "cancel_requested")
            state.jobs[id] = job
            return (.success(.requested), [(id, .cancelRequested)])
        }
        publish(events)
        return try outcome.get()
    }

    public func retry(_ id: JobID) async throws(QueueError) {
        let now = clock.nowMilliseconds()
        let allowance = configuration.maxAttempts
        let keyLifetime = configuration.failureTTL.milliseconds
        let (outcome, events, wake): (Result<Void, QueueError>, [(JobID, JobEvent)], [CheckedContinuation<Void, Never>]) = state.withLock { state in
            state.expire(now: now)
            guard var job = state.jobs[id] else { return (.failure(.notFound(id)), [], []) }
            var machine = job.stateMachine
            guard case .moved = machine.retry(allowance: allowance) else { return (.failure(.invalidState(id, job.status.rawValue)), [], []) }
            job.apply(machine)
            state.failed[id] = nil
            job.enqueuedAt = now
            job.endedAt = nil
            job.leaseUntil = nil
            job.retryAt = nil
            job.expiresAt = nil
            job.ends = 0
            job.refunds = 0
            job.operatorRetries += 1
            job.note(now, "retried_by_operator")
            // As at enqueue: the key lives on while the job does.
            if let key = job.idempotencyKey, state.idempotency[key]?.id == id { state.idempotency[key]?.expiresAt = now + keyLifetime }
            state.jobs[id] = job
            state.pushReady(job, now: now)
            state.count("retried_by_operator")
            state.pendingEvents.append((id, .status(.queued)))
            return (.success(()), state.takeEvents(), state.takeWorkWaiters())
        }
        publish(events)
        for waiter in wake { waiter.resume() }
        try outcome.get()
    }

    public func cancelWaiting() async throws(QueueError) -> Int {
        let now = clock.nowMilliseconds()
        let (canceled, events) = state.withLock { state in
            var canceled = 0
            // A canceled job that others follow hands the work to a follower, which enters the
            // queue: it is canceled in turn.
            while !state.waiting.isEmpty || !state.scheduled.isEmpty {
                let ids = state.waiting.keys.sorted { $0.rawValue < $1.rawValue } + state.scheduled.keys.sorted { $0.rawValue < $1.rawValue }
                for id in ids {
                    state.scheduled[id] = nil
                    guard var job = state.jobs[id] else {
                        state.waiting[id] = nil
                        continue
                    }
                    state.dropReady(job)
                    var machine = job.stateMachine
                    guard machine.cancel() == .moved(to: .canceled) else { continue }
                    state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
                    state.jobs[id] = job
                    canceled += 1
                }
            }
            if canceled > 0 { state.count("canceled", by: canceled) }
            return (canceled, state.takeEvents())
        }
        publish(events)
        return canceled
    }

    /// As the `reclaim` script: an outage gap first moves every deadline on, then the jobs of
    /// dead workers, then those with expired leases.
    public func reclaimExpired() async throws(QueueError) -> ReclaimReport {
        let now = clock.nowMilliseconds()
        let (report, events, wake) = state.withLock { state in
            state.expire(now: now)
            var report = ReclaimReport(requeued: 0, failed: 0, canceled: 0, promoted: 0)
            if let last = state.lastReclaim, now - last > configuration.heartbeat.milliseconds {
                let gap = now - last
                report.outage = .milliseconds(gap)
                state.active = state.active.mapValues { $0 + gap }
                state.workers = state.workers.mapValues { ($0.info, $0.deadline + gap) }
            }
            state.lastReclaim = now
            let dead = Set(state.workers.filter { $0.value.deadline <= now }.keys)
            let held = state.active.keys.filter { id in state.jobs[id]?.workerID.map(dead.contains) ?? false }
            for id in held { takeBack(id, crash: true, now: now, state: &state, report: &report) }
            for worker in dead { state.workers[worker] = nil }
            for (id, deadline) in state.active.sorted(by: { $0.value < $1.value }) where deadline <= now {
                takeBack(id, crash: false, now: now, state: &state, report: &report)
            }
            let promoted = state.promoteDue(now: now)
            report.promoted = promoted.count
            state.pendingEvents += promoted
            state.failed = state.failed.filter { $0.value > now - configuration.failureTTL.milliseconds }
            let wake = report.requeued + report.promoted > 0 || state.pendingWake ? state.takeWorkWaiters() : []
            state.pendingWake = false
            return (report, state.takeEvents(), wake)
        }
        publish(events)
        for waiter in wake { waiter.resume() }
        return report
    }

    /// Takes job `id` off its holder, who died (`crash`) or let its lease run out.
    private func takeBack(_ id: JobID, crash: Bool, now: Int64, state: inout State, report: inout ReclaimReport) {
        guard var job = state.jobs[id] else {
            state.active[id] = nil
            return
        }
        state.leaveActive(job)
        guard job.status == .started else { return }
        var machine = job.stateMachine
        let worker = job.workerID ?? "unknown"
        let code: String
        let lost: String
        let final: String
        if crash {
            _ = machine.workerDied(maxCrashes: configuration.maxCrashes)
            report.crashed += 1
            code = "worker_crashed"
            lost = "worker \(worker) died holding it (crash \(machine.crashes) of \(configuration.maxCrashes))"
            final = "gave up after \(machine.crashes) workers died holding it; the last was \(worker)"
        } else {
            _ = machine.leaseExpired()
            code = "lease_expired"
            lost = "worker \(worker) stopped renewing its lease on attempt \(job.attempts) of \(job.maxAttempts)"
            final = "gave up after \(job.attempts) attempts: the last worker (\(worker)) stopped renewing its lease"
        }
        job.error = JobFailure(code: code, message: lost, transient: true, attempt: machine.attempts)
        job.note(now, "\(code) \(worker)")
        switch machine.status {
        case .canceled:
            state.finish(&job, machine: machine, now: now, ttl: configuration.resultTTL)
            state.jobs[id] = job
            state.count("canceled")
            report.canceled += 1
        case .queued:
            job.apply(machine)
            job.note(now, "queued")
            job.enqueuedAt = now
            job.leaseUntil = nil
            state.jobs[id] = job
            state.pushReady(job, now: now)
            state.count("reclaimed")
            state.pendingEvents.append((id, .status(.queued)))
            report.requeued += 1
        default:
            job.error = JobFailure(code: code, message: final, transient: false, attempt: machine.attempts)
            state.endFailed(&job, machine: machine, now: now, ttl: configuration.failureTTL)
            state.jobs[id] = job
            report.failed += 1
        }
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

    public func retireAnswers(of collection: String) async throws(QueueError) -> Int64 {
        state.withLock { state in
            state.collectionVersions[collection, default: 0] += 1
            return state.collectionVersions[collection] ?? 0
        }
    }

    public func similarAnswers(in scope: String, after cursor: String?) async throws(QueueError) -> SimilarAnswers {
        let after = cursor.flatMap { Int($0) } ?? 0
        let entries = state.withLock { state in (state.similarAnswers[scope] ?? []).filter { $0.number > after } }
        return SimilarAnswers(entries: entries.map(\.entry), cursor: entries.last.map { String($0.number) } ?? cursor)
    }

    public func cachedAnswer(_ reference: String) async throws(QueueError) -> CachedAnswer? {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            guard let stored = state.answers[reference], stored.expiresAt > now else { return nil }
            return CachedAnswer(result: stored.result, job: stored.job, costMicroUSD: stored.costMicroUSD)
        }
    }

    public func jobs(matching filter: JobFilter, after cursor: JobCursor?, limit: Int) async throws(QueueError) -> JobPage {
        let now = clock.nowMilliseconds()
        let limit = max(1, limit)
        let indexed: [(at: Int64, job: Job)] = state.withLock { state in
            state.expire(now: now)
            let jobs = state.jobs
            func index(_ times: [JobID: Int64]) -> [(at: Int64, job: Job)] { times.compactMap { id, at in jobs[id].map { (at, $0) } } }
            switch filter.orderedBy {
            case .created: return jobs.values.map { ($0.createdAt, $0) }
            case .ended: return index(state.failed)
            case .leaseDeadline: return index(state.active)
            case .due: return index(state.scheduled)
            }
        }
        let ordered = indexed.filter { entry in
            cursor.map { (entry.at, entry.job.id.rawValue) < ($0.milliseconds, $0.id.rawValue) } ?? true
        }.sorted { ($0.at, $0.job.id.rawValue) > ($1.at, $1.job.id.rawValue) }
        var records: [JobRecord] = []
        for (at, job) in ordered {
            let record = job.record
            guard filter.matches(record) else { continue }
            records.append(record)
            if records.count == limit { return JobPage(records: records, next: JobCursor(milliseconds: at, id: job.id)) }
        }
        return JobPage(records: records, next: nil)
    }

    public func jobs(createdFrom start: Date, until end: Date) async throws(QueueError) -> [JobRecord] {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            state.expire(now: now)
            return state.jobs.values.map(\.record).filter { $0.createdAt >= start && $0.createdAt < end }
        }.sorted { ($0.createdAt, $0.id.rawValue) < ($1.createdAt, $1.id.rawValue) }
    }

    public func stats() async throws(QueueError) -> QueueStats {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            state.expire(now: now)
            let oldest = state.waiting.values.min()
            return QueueStats(
                waiting: state.waiting.count, active: state.active.count, scheduled: state.scheduled.count, failed: state.failed.count,
                oldestWaitingSeconds: oldest.map { max(0, Double(now - $0) / 1000) } ?? 0,
                liveWorkers: state.workers.values.filter { $0.deadline > now }.count,
                expiredLeases: state.active.values.filter { $0 <= now }.count,
                waitingTenants: state.scheduler.eligible.count + state.scheduler.blocked.count,
                endedPerSecond: state.endedPerSecond(now: now), maxDepth: configuration.maxDepth,
                allCounters: state.counters
            )
        }
    }

    public func ping() async throws(QueueError) {}

    public func reportBackendFailure() async throws(QueueError) -> CircuitState {
        let now = clock.nowMilliseconds()
        let policy = configuration.circuit
        return state.withLock { state in
            if state.circuit.isOpen(at: now) { return state.circuit }
            if now - state.circuitSince > policy.window.milliseconds { (state.circuitFailures, state.circuitSince) = (0, now) }
            state.circuitFailures += 1
            if state.circuitFailures >= policy.threshold || state.circuit.trips > 0 {
                let trips = state.circuit.trips + 1
                state.circuit = CircuitState(openUntilMilliseconds: now + policy.openLength(trip: trips).milliseconds, trips: trips)
                (state.circuitFailures, state.circuitSince) = (0, now)
            }
            return state.circuit
        }
    }

    public func identity(create: Bool) async throws(QueueError) -> String? {
        state.withLock { state in
            if create, state.identity == nil { state.identity = JobID().rawValue }
            return state.identity
        }
    }

    public func tenantStats() async throws(QueueError) -> [TenantStats] {
        state.withLock { state in
            Set(state.scheduler.tenants.keys).union(state.ledgers.keys).sorted().map { name in
                let tenant = state.scheduler.tenants[name] ?? FairShareScheduler.Tenant()
                return TenantStats(
                    tenant: name, waiting: tenant.ready.count, running: tenant.running, weight: tenant.weight,
                    maxRunning: tenant.limit > 0 ? tenant.limit : nil, usage: state.ledgers[name] ?? JobUsage()
                )
            }
        }
    }

    public func budgetStatus(tenant: String?, period: BudgetReservation.Period, unit: BudgetReservation.Unit) async throws(QueueError) -> BudgetStatus {
        let now = clock.nowMilliseconds()
        let name = EnqueueRequest(kind: "", payload: [], tenant: tenant).tenantKey
        return state.withLock { $0.budgets["\(name):\(unit.rawValue):\(period.id(at: now))"] } ?? BudgetStatus(reserved: 0, spent: 0, limit: 0)
    }

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
            state.workers.values.filter { $0.deadline > now }.map { worker in
                var info = worker.info
                info.jobsInFlight = state.active.keys.filter { state.jobs[$0]?.workerID == info.id }.count
                info.heartbeatDeadlineMilliseconds = worker.deadline
                return info
            }.sorted { $0.id < $1.id }
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

    /// Sends `events` to the watchers of their jobs.
    func publish(_ events: [(JobID, JobEvent)]) {
        watchers.deliver(events)
        guard watchers.observesEnds else { return }
        let ended = events.compactMap { id, event -> JobID? in
            if case .status(let status) = event, status.isTerminal { return id }
            return nil
        }
        guard !ended.isEmpty else { return }
        let ends = state.withLock { state in
            ended.compactMap { id in
                state.jobs[id].flatMap { job in
                    job.endedAt.map { JobEnd(id: id, status: job.status, createdAt: job.createdAt, firstStartedAt: job.firstStartedAt, endedAt: $0) }
                }
            }
        }
        watchers.deliverEnds(ends)
    }
}
