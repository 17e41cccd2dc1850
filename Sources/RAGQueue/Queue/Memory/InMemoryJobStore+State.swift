import Foundation

extension InMemoryJobStore {
    /// One job, with the same fields a Valkey job hash holds (times in ms since the epoch).
    struct Job: Sendable {
        let id: JobID
        let kind: String
        let payload: [UInt8]
        var status: JobStatus = .queued
        var attempts = 0
        var maxAttempts: Int
        let createdAt: Int64
        var enqueuedAt: Int64
        var startedAt: Int64?
        var firstStartedAt: Int64?
        var endedAt: Int64?
        var workerID: String?
        var token: Int64 = 0
        var leaseUntil: Int64?
        var retryAt: Int64?
        var result: [UInt8]?
        var error: JobFailure?
        var timings: [String: Double] = [:]
        let requestID: String?
        let traceParent: String?
        let tenant: String?
        /// The tenant's name in the scheduler (`-` for none).
        let tenantKey: String
        let idempotencyKey: String?
        let priority: Int
        /// Its place in its tenant's line.
        let rank: Int64
        var cancelRequested = false
        var ends = 0
        /// Attempts given back after outage failures (`CircuitPolicy.maximumRefunds`).
        var refunds = 0
        /// Workers that died holding it.
        var crashes = 0
        /// When the record disappears (set when the job ends).
        var expiresAt: Int64?
        /// What its attempts used, added up.
        var usage = JobUsage()
        /// The budget period it reserved against, with the unit it counts.
        let budgetKey: String?
        let budgetUnit: BudgetReservation.Unit?
        /// What it holds reserved until it ends.
        var reserved: Int64
        /// Its answer's place in the answer cache (the key with the collection's version) and how
        /// long the answer stays there; nil without a cache.
        let cacheKey: String?
        let cacheTTL: Int64
        /// The job whose cached answer answered this one.
        var cachedFrom: JobID?
        /// The job this one follows (the same question in flight).
        var leader: JobID?
        /// What a follower reserves of its budget if it takes over from its leader.
        var hold: Int64 = 0
        /// Its semantic answer-cache scope with the collection's version (`ClaimedJob.answerScope`).
        var semanticScope: String?
        /// The similarity of the question whose answer it reused.
        var similarity: Double?
        /// Times an operator retried it after it failed.
        var operatorRetries = 0
        /// Its history, in the stored form (`JobRecord.Step`).
        var history = ""

        /// Adds a step at `now` to its history.
        mutating func note(_ now: Int64, _ line: String) {
            history = JobRecord.Step.noted(history, now: now, line)
        }

        init(
            id: JobID, request: EnqueueRequest, maxAttempts: Int, createdAt: Int64, rank: Int64, idempotencyKey: String?,
            budgetKey: String?, cacheKey: String? = nil
        ) {
            self.cacheKey = cacheKey
            self.cacheTTL = request.answerCache?.ttl.milliseconds ?? 0
            self.id = id
            self.kind = request.kind
            self.payload = request.payload
            self.maxAttempts = maxAttempts
            self.createdAt = createdAt
            self.enqueuedAt = createdAt
            self.requestID = request.requestID
            self.traceParent = request.traceParent
            self.tenant = request.tenant
            self.tenantKey = request.tenantKey
            self.idempotencyKey = idempotencyKey
            self.priority = request.priority
            self.rank = rank
            self.budgetKey = budgetKey
            self.budgetUnit = request.budget?.unit
            self.reserved = request.budget?.amount ?? 0
        }

        var stateMachine: JobStateMachine {
            JobStateMachine(
                status: status, attempts: attempts, maxAttempts: maxAttempts, cancelRequested: cancelRequested, token: token, crashes: crashes
            )
        }

        /// Takes status, attempts, token, crashes and the cancel flag from `machine`.
        mutating func apply(_ machine: JobStateMachine) {
            status = machine.status
            attempts = machine.attempts
            maxAttempts = machine.maxAttempts
            token = machine.token
            cancelRequested = machine.cancelRequested
            crashes = machine.crashes
        }

        var record: JobRecord {
            func date(_ milliseconds: Int64?) -> Date? { milliseconds.map(Date.init(epochMilliseconds:)) }
            return JobRecord(
                id: id, kind: kind, payload: payload, status: status, attempts: attempts, maxAttempts: maxAttempts,
                createdAt: Date(epochMilliseconds: createdAt), enqueuedAt: date(enqueuedAt), startedAt: date(startedAt),
                firstStartedAt: date(firstStartedAt), endedAt: date(endedAt), workerID: workerID, token: token,
                leaseExpiresAt: status == .started ? date(leaseUntil) : nil, retryAt: date(retryAt), result: result, error: error,
                timings: timings, requestID: requestID, tenant: tenant, cancelRequested: cancelRequested, endCount: ends,
                priority: priority, usage: usage, reservedBudget: reserved, crashes: crashes, cachedFrom: cachedFrom,
                coalescedWith: leader, similarity: similarity, operatorRetries: operatorRetries, historyText: history
            )
        }
    }

    /// Everything the store holds, behind its one lock.
    struct State: Sendable {
        var jobs: [JobID: Job] = [:]
        /// Who is served next, and each tenant's line.
        var scheduler = FairShareScheduler()
        /// Queued ids and when they entered (depth, oldest wait).
        var waiting: [JobID: Int64] = [:]
        /// Running ids and their lease deadlines.
        var active: [JobID: Int64] = [:]
        /// Ids waiting for a retry and their due times.
        var scheduled: [JobID: Int64] = [:]
        /// Failed ids and their end times.
        var failed: [JobID: Int64] = [:]
        var fence: Int64 = 0
        /// Counts enqueues (`EnqueueRequest.rank`).
        var sequence: Int64 = 0
        /// The identity marker (`JobStore.identity`), once written.
        var identity: String?
        /// The backends' circuit breaker (`CircuitPolicy`): recent failures, since when, and the state.
        var circuitFailures = 0
        var circuitSince: Int64 = 0
        var circuit = CircuitState(openUntilMilliseconds: 0, trips: 0)
        var counters: [String: Int] = [:]
        var workers: [String: (info: WorkerInfo, deadline: Int64)] = [:]
        /// When the last reclaim ran (`reclaimExpired`): a longer gap is an outage, and moves
        /// every lease and heartbeat deadline on by its length.
        var lastReclaim: Int64?
        var idempotency: [String: (id: JobID, expiresAt: Int64)] = [:]
        var tokens: [JobID: TokenLog] = [:]
        var pendingDeliveries: Set<JobID> = []
        var deliveryLeases: [JobID: (owner: String, until: Int64)] = [:]
        var buckets: [String: (tokens: Double, at: Int64)] = [:]
        /// Model providers' budgets by model.
        var providers: [String: ProviderBucket] = [:]
        /// Usage ledgers by tenant.
        var ledgers: [String: JobUsage] = [:]
        /// Budget periods by key (tenant, unit, period).
        var budgets: [String: BudgetStatus] = [:]
        /// Each collection's version, bumped when its documents change (`retireAnswers(of:)`).
        var collectionVersions: [String: Int64] = [:]
        /// Cached answers by key (answer key and collection version).
        var answers: [String: StoredAnswer] = [:]
        /// Semantic scopes' indexes: entries numbered from 1, oldest first.
        var similarAnswers: [String: [(number: Int, entry: SimilarAnswers.Entry)]] = [:]
        var similarAnswersNumber = 0
        /// The job in flight for each answer key, and the jobs following each leader.
        var leaders: [String: JobID] = [:]
        var followers: [JobID: [JobID]] = [:]
        /// Jobs ended per second, exponentially weighted over 30 s, and when it was last updated.
        var throughput: (rate: Double, at: Int64) = (0, 0)

        var workWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        /// Events of the operation under way, published once the lock is released.
        var pendingEvents: [(JobID, JobEvent)] = []
        /// Whether the operation under way made work available.
        var pendingWake = false

        mutating func count(_ name: String, by amount: Int = 1) {
            counters[name, default: 0] += amount
        }

        /// Ends `job` as `machine` says: its end time, one more final write, and its expiry (and its
        /// idempotency key's) `ttl` from now; releases its budget reservation; counts the end in the
        /// throughput estimate. The caller stores the job.
        mutating func finish(_ job: inout Job, machine: JobStateMachine, now: Int64, ttl: Duration) {
            job.apply(machine)
            job.note(now, machine.status == .failed ? "failed \(job.error?.code ?? "unknown")" : machine.status.rawValue)
            job.endedAt = now
            job.ends += 1
            job.expiresAt = now + ttl.milliseconds
            job.leaseUntil = job.leaseUntil.map { _ in now }
            if let key = job.idempotencyKey, idempotency[key]?.id == job.id {
                idempotency[key]?.expiresAt = now + ttl.milliseconds
            }
            if let key = job.budgetKey, job.reserved != 0 {
                budgets[key, default: BudgetStatus(reserved: 0, spent: 0, limit: 0)].reserved -= job.reserved
                job.reserved = 0
            }
            let decayed = throughput.rate * exp(-Double(max(0, now - throughput.at)) / 30_000)
            throughput = (decayed + 1.0 / 30, now)
            pendingEvents.append((job.id, .status(job.status)))
            endFollowers(of: job, now: now, ttl: ttl)
        }

        /// Ends `job` `failed` for good (the scripts' `end_failed`): it joins the failed index and
        /// counts in `failed` and `failed:<code>`, the failures by reason.
        mutating func endFailed(_ job: inout Job, machine: JobStateMachine, now: Int64, ttl: Duration) {
            failed[job.id] = now
            finish(&job, machine: machine, now: now, ttl: ttl)
            count("failed")
            count(QueueStats.failurePrefix + (job.error?.code ?? "unknown"))
        }

        /// The followers of `job`, which just ended, end as it did, each once; if it was canceled,
        /// the first waiting follower enters the queue instead and leads the others (the enqueue
        /// script's `end_followers`). A finished follower's tenant ledger counts it and the
        /// leader's cost as saved.
        mutating func endFollowers(of job: Job, now: Int64, ttl: Duration) {
            if let key = job.cacheKey, leaders[key] == job.id { leaders[key] = nil }
            guard let ids = followers.removeValue(forKey: job.id) else { return }
            var heir: JobID?
            for id in ids {
                guard var follower = jobs[id], follower.status == .queued else { continue }
                if job.status == .canceled {
                    if let heir {
                        follower.leader = heir
                        followers[heir, default: []].append(id)
                        jobs[id] = follower
                    } else {
                        heir = id
                        follower.leader = nil
                        // It runs now, so it holds its budget like any job in the queue.
                        if let key = follower.budgetKey, follower.hold > 0 {
                            budgets[key, default: BudgetStatus(reserved: 0, spent: 0, limit: 0)].reserved += follower.hold
                            follower.reserved = follower.hold
                        }
                        jobs[id] = follower
                        pushReady(follower, now: now)
                        if let key = job.cacheKey { leaders[key] = id }
                    }
                } else {
                    follower.status = job.status
                    follower.note(now, "\(job.status.rawValue) with_leader \(job.id)")
                    follower.endedAt = now
                    follower.result = job.result
                    follower.error = job.error
                    follower.ends += 1
                    follower.expiresAt = now + ttl.milliseconds
                    if let key = follower.idempotencyKey, idempotency[key]?.id == id {
                        idempotency[key]?.expiresAt = now + ttl.milliseconds
                    }
                    jobs[id] = follower
                    count(job.status.rawValue)
                    if job.status == .finished {
                        let saved = job.usage[JobUsage.costMicroUSD]
                        count("cache_saved_micro_usd", by: Int(saved))
                        ledgers[follower.tenantKey] = (ledgers[follower.tenantKey] ?? JobUsage()) + [JobUsage.coalesced: 1, JobUsage.savedMicroUSD: saved]
                    }
                    pendingEvents.append((id, .status(job.status)))
                }
            }
        }

        /// Jobs ended per second at `now`.
        func endedPerSecond(now: Int64) -> Double {
            throughput.rate * exp(-Double(max(0, now - throughput.at)) / 30_000)
        }

        /// Adds one attempt's usage to the job, its tenant's ledger and its budget period.
        mutating func add(_ usage: JobUsage, to job: inout Job) {
            guard !usage.counters.isEmpty else { return }
            job.usage = job.usage + usage
            ledgers[job.tenantKey] = (ledgers[job.tenantKey] ?? JobUsage()) + usage
            if let key = job.budgetKey, let unit = job.budgetUnit, usage[unit.rawValue] != 0 {
                budgets[key, default: BudgetStatus(reserved: 0, spent: 0, limit: 0)].spent += usage[unit.rawValue]
            }
        }

        /// A queued job enters its tenant's line and the waiting index.
        mutating func pushReady(_ job: Job, now: Int64) {
            scheduler.push(job.id, tenant: job.tenantKey, rank: job.rank)
            waiting[job.id] = now
        }

        /// A queued job leaves the lines without running.
        mutating func dropReady(_ job: Job) {
            scheduler.drop(job.id, tenant: job.tenantKey)
            waiting[job.id] = nil
        }

        /// A job leaves `active`: its tenant runs one fewer, and idle workers wake when that lets
        /// the tenant's waiting jobs run.
        mutating func leaveActive(_ job: Job) {
            guard active.removeValue(forKey: job.id) != nil else { return }
            let wasBlocked = scheduler.blocked.contains(job.tenantKey)
            scheduler.leave(job.tenantKey)
            if wasBlocked && scheduler.eligible[job.tenantKey] != nil { pendingWake = true }
        }

        /// Moves due retries back to their tenants' lines; returns their events.
        mutating func promoteDue(now: Int64) -> [(JobID, JobEvent)] {
            let due = scheduled.filter { $0.value <= now }.sorted { $0.value < $1.value }
            var events: [(JobID, JobEvent)] = []
            for (id, _) in due {
                scheduled[id] = nil
                guard var job = jobs[id], job.status == .scheduled else { continue }
                var machine = job.stateMachine
                _ = machine.promote()
                job.apply(machine)
                job.note(now, "queued retry_due")
                job.enqueuedAt = now
                job.retryAt = nil
                jobs[id] = job
                pushReady(job, now: now)
                events.append((id, .status(.queued)))
            }
            return events
        }

        /// Drops ended records whose time is up, with their token streams.
        mutating func expire(now: Int64) {
            for (id, job) in jobs where (job.expiresAt ?? .max) <= now {
                jobs[id] = nil
                tokens[id] = nil
            }
            idempotency = idempotency.filter { $0.value.expiresAt > now }
            answers = answers.filter { $0.value.expiresAt > now }
        }

        mutating func takeEvents() -> [(JobID, JobEvent)] {
            defer { pendingEvents = [] }
            return pendingEvents
        }

        mutating func takeWorkWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { workWaiters = [:] }
            return Array(workWaiters.values)
        }
    }

    /// One job's token stream: its entries and the sequence behind their ids.
    struct TokenLog: Sendable {
        var entries: [TokenEntry] = []
        var lastMilliseconds: Int64 = 0
        var sequence = 0

        /// The next entry id after the last, `<ms>-<seq>` as Valkey writes them.
        mutating func nextID(now: Int64) -> String {
            if now > lastMilliseconds {
                lastMilliseconds = now
                sequence = 0
            } else {
                sequence += 1
            }
            return "\(lastMilliseconds)-\(sequence)"
        }

        /// Entries after `cursor` (all of them when nil).
        func after(_ cursor: String?) -> [TokenEntry] {
            guard let cursor, let position = Self.position(cursor) else { return entries }
            return entries.filter { (Self.position($0.id) ?? (0, 0)) > position }
        }

        private static func position(_ id: String) -> (Int64, Int)? {
            let parts = id.split(separator: "-")
            guard parts.count == 2, let milliseconds = Int64(parts[0]), let sequence = Int(parts[1]) else { return nil }
            return (milliseconds, sequence)
        }
    }
}

extension InMemoryJobStore {
    /// An answer in the cache: what the job that produced it returned, its id and cost, and when it goes.
    struct StoredAnswer: Sendable {
        var result: [UInt8]
        var job: JobID
        var costMicroUSD: Int64
        var expiresAt: Int64
    }
}
