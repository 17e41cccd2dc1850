import FakeBackends
import Foundation
import RAGQueue
import RAGQueueTestSupport
import Synchronization

/// A chaos run: one step of open-loop traffic through the real API and worker processes while the
/// plan's faults strike, then a drain and the ledger of every accepted query.
///
/// The client side behaves as a careful user would: each query carries an `Idempotency-Key`, and a
/// submission that met an error or a 5xx is sent again with the same key (for up to 30 s), so a
/// lost acknowledgement never creates a second job.
struct ChaosRun: Sendable {
    let chaos: ChaosPlan
    let step: SimulationStep
    let services: SimulationServices
    let workers: Int
    let lease: Duration
    let say: @Sendable (String) -> Void

    private var plan: SimulationStep.Plan { step.plan }

    /// Runs traffic and faults, drains, and returns the step's figures and the ledger.
    func run() async throws -> (StepResult, ChaosLedger) {
        let prefix = "\(plan.runPrefix)-chaos"
        var queue = QueueConfiguration()
        queue.prefix = prefix
        queue.maxDepth = 0
        queue.lease = lease
        let store = try ValkeyJobStore(url: services.valkeyURL, configuration: queue)
        var environment = services.childEnvironment(prefix: prefix, concurrency: plan.concurrency, repetition: plan.repetition)
        environment["JOB_LEASE_SECONDS"] = String(lease.seconds)
        environment["JOB_HEARTBEAT_SECONDS"] = String(queue.heartbeat.seconds)
        // The embedded API gives the traffic a tenant with a budget too large to refuse anything:
        // every job reserves against it, and after the drain nothing may stay reserved.
        let budgetTenant: String? = services.apiURL == nil ? Self.tenant : nil
        if let budgetTenant {
            environment["API_KEYS"] = "\(Self.apiKey):\(budgetTenant)"
            environment["API_TENANT_BUDGETS"] = "\(budgetTenant)=1000000usd/day"
        }

        let pool = WorkerPool(step: step, environment: environment)
        let api = APIProcess(step: step, environment: environment)
        let apiURL: String
        if let given = services.apiURL {
            apiURL = given
        } else {
            apiURL = try await api.start()
        }
        for _ in 0..<workers { try pool.spawn() }
        try await SimulationStep.waitUntil(seconds: 30, "\(workers) worker process(es) to register (logs in \(plan.logDirectory.path))") {
            try await store.stats().liveWorkers >= workers
        }

        let apiKey = budgetTenant == nil ? plan.apiKey : Self.apiKey
        let submitter = APIJobSubmitter(baseURL: apiURL, apiKey: apiKey, httpClient: services.httpClient)
        let length = plan.warmup + plan.duration
        let schedule = ArrivalSchedule(qps: plan.qps, length: length, process: plan.arrivals, seed: plan.seed)
        let asked = plan.questions(schedule.offsets.count, seed: plan.seed, first: 0)
        let clock = ContinuousClock()
        let start = clock.now + .milliseconds(100)
        let wallStart = Date().addingTimeInterval((start - clock.now).seconds)
        let drainBound = Self.drainBound(drain: plan.drain, lease: lease)
        let injector = FaultInjector(
            store: store, services: services, pool: pool, api: api, apiURL: apiURL, apiKey: apiKey, lease: lease, heartbeat: queue.heartbeat, start: start,
            giveUpAt: start + length + drainBound, seed: plan.seed, say: say
        )
        let progress = ProgressLine(enabled: plan.progress, label: "chaos")

        async let faultRecords = injector.run(chaos, length: length)
        var outcomes: [DurableSubmission] = []
        await withTaskGroup(of: DurableSubmission.self) { group in
            for (number, offset) in schedule.offsets.enumerated() {
                try? await clock.sleep(until: start + offset)
                let query = RAGQuery(query: asked[number].text, collection: services.collection)
                let measured = offset >= plan.warmup
                group.addTask {
                    await DurableSubmission.submit(query, key: "\(prefix)-\(number)", measured: measured, submitter: submitter)
                }
                progress.update("sent \(number + 1)/\(schedule.offsets.count)")
            }
            for await outcome in group { outcomes.append(outcome) }
        }
        let faults = try await faultRecords

        let accepted = outcomes.compactMap(\.id)
        let deadline = clock.now + drainBound
        while clock.now < deadline {
            let left = try? await openJobs(store)
            if left == 0 { break }
            progress.update("draining: \(left.map(String.init) ?? "?") job(s) left")
            try await clock.sleep(for: .milliseconds(200))
        }
        progress.finish()
        let cutoff = Date()
        let records = try await step.fetchRecords(accepted, store: store)
        let counters = try await store.stats().counters
        var reserved: Int64?
        if let budgetTenant {
            reserved = try await store.budgetStatus(tenant: budgetTenant, period: .day, unit: .microUSD).reserved
        }
        await pool.stopAll()
        await api.stop()

        let ledger = ChaosLedger(
            plan: chaos.description, lease: lease, records: Dictionary(accepted.map { ($0, records[$0]) }, uniquingKeysWith: { first, _ in first }),
            notAccepted: outcomes.filter { $0.id == nil }.count, resubmissions: outcomes.reduce(0) { $0 + $1.attempts - 1 },
            enqueued: counters["enqueued"] ?? 0, refusedWrites: counters["refused"] ?? 0, faults: faults, budgetReserved: reserved
        )
        let submissions = outcomes.map { outcome in
            Submission(
                sentAt: outcome.sentAt, returnedAt: outcome.returnedAt, measured: outcome.measured, record: outcome.id.flatMap { records[$0] },
                refusal: outcome.refusal
            )
        }
        let windowStart = wallStart.addingTimeInterval(plan.warmup.seconds)
        let windowEnd = windowStart.addingTimeInterval(plan.duration.seconds)
        var result = StepResult(
            workers: workers, concurrency: plan.concurrency, submissions: submissions, windowStart: windowStart, windowEnd: windowEnd, cutoff: cutoff
        )
        result.timeline = StepTimeline(submissions: submissions, start: wallStart, windowStart: windowStart, windowEnd: windowEnd, cutoff: cutoff)
        return (result, ledger)
    }

    /// The tenant of a chaos run's traffic on the embedded API, and its key.
    static let tenant = "chaos"
    static let apiKey = "ragsim-chaos-key"

    /// How long a chaos run waits for accepted jobs after the traffic: `--drain`, but at least four
    /// leases, so that jobs struck at the end can be taken over and finish.
    static func drainBound(drain: Duration, lease: Duration) -> Duration {
        max(drain, lease * 4)
    }

    /// Jobs waiting, running or scheduled, or nil while Valkey is unreachable.
    private func openJobs(_ store: ValkeyJobStore) async throws -> Int {
        let stats = try await store.stats()
        return stats.waiting + stats.active + stats.scheduled
    }
}

/// One query as a careful client submits it: an `Idempotency-Key`, and retries with the same key
/// after transport errors, 429 and 5xx answers, for up to 30 s.
struct DurableSubmission: Sendable {
    var id: JobID?
    var attempts: Int
    var sentAt: Date
    var returnedAt: Date
    var measured: Bool
    var refusal: String?

    static func submit(_ query: RAGQuery, key: String, measured: Bool, submitter: APIJobSubmitter) async -> DurableSubmission {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        let sentAt = Date()
        var attempts = 0
        var pause = Duration.milliseconds(100)
        while true {
            attempts += 1
            do {
                let id = try await submitter.submit(query, idempotencyKey: key, timeout: .seconds(15))
                return DurableSubmission(id: id, attempts: attempts, sentAt: sentAt, returnedAt: Date(), measured: measured)
            } catch {
                let permanent = !error.isTransient
                if permanent || clock.now + pause >= deadline {
                    return DurableSubmission(
                        id: nil, attempts: attempts, sentAt: sentAt, returnedAt: Date(), measured: measured, refusal: "\(error)"
                    )
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}

/// The run's worker processes: started, replaced, killed and frozen by number.
final class WorkerPool: Sendable {
    struct Member: Sendable {
        let number: Int
        let child: ChildProcess
        /// Held by a fault (being killed, or frozen): other faults leave it alone.
        var taken = false
    }

    private let step: SimulationStep
    private let environment: [String: String]
    private let members = Mutex<[Member]>([])
    private let started = Atomic<Int>(0)

    init(step: SimulationStep, environment: [String: String]) {
        self.step = step
        self.environment = environment
    }

    /// Starts one more `ragserve worker`; returns its number.
    @discardableResult
    func spawn() throws -> Int {
        let number = started.add(1, ordering: .relaxed).newValue
        let (child, _) = try step.startWorker(number: number, logName: "chaos-worker\(number)", environment: environment)
        members.withLock { $0.append(Member(number: number, child: child)) }
        return number
    }

    /// The running members no fault holds.
    func available() -> [Member] {
        members.withLock { $0.filter { $0.child.isRunning && !$0.taken } }
    }

    /// Holds member `number` for a fault; false when it stopped or another fault holds it.
    func take(_ number: Int) -> Bool {
        members.withLock { members in
            guard let index = members.firstIndex(where: { $0.number == number }), members[index].child.isRunning,
                !members[index].taken
            else { return false }
            members[index].taken = true
            return true
        }
    }

    /// Lets other faults strike member `number` again.
    func release(_ number: Int) {
        members.withLock { members in
            if let index = members.firstIndex(where: { $0.number == number }) { members[index].taken = false }
        }
    }

    /// Stops every member (SIGTERM, SIGCONT, then SIGKILL after 5 s).
    func stopAll() async {
        let children = members.withLock { $0.map(\.child) }
        await withTaskGroup(of: Void.self) { group in
            for child in children { group.addTask { await ProcessReaper.stop(child, grace: .seconds(5)) } }
        }
    }
}

/// The embedded API process, which a fault may kill and restart on the same port.
final class APIProcess: Sendable {
    private struct State: Sendable {
        var child: ChildProcess?
        var port = 0
        var starts = 0
    }

    private let step: SimulationStep
    private let environment: [String: String]
    private let state = Mutex(State())

    init(step: SimulationStep, environment: [String: String]) {
        self.step = step
        self.environment = environment
    }

    /// Starts the API (on its previous port after the first start); returns its URL once healthy.
    @discardableResult
    func start() async throws -> String {
        let (port, number) = state.withLock { state in
            state.starts += 1
            return (state.port, state.starts)
        }
        let (url, _) = try await step.startAPI(environment: environment, logName: "chaos-api\(number)", port: port) { child in
            state.withLock { $0.child = child }
        }
        if let bound = URLComponents(string: url)?.port { state.withLock { $0.port = bound } }
        return url
    }

    /// Kills the API with SIGKILL; false when none runs.
    func kill() async -> Bool {
        guard let child = state.withLock({ $0.child }), child.isRunning else { return false }
        await child.stop(with: SIGKILL)
        return true
    }

    /// Stops the API gracefully.
    func stop() async {
        if let child = state.withLock({ $0.child }) { await ProcessReaper.stop(child, grace: .seconds(5)) }
    }
}
