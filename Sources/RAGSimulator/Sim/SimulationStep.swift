import FakeBackends
import Foundation
import RAGQueue
import RAGQueueTestSupport

/// One step of a simulation: `workers` fresh worker processes (and a fresh API) on a queue of its
/// own, open-loop traffic through warm-up and the measurement window, a bounded drain, and the
/// figures from the job records.
struct SimulationStep: Sendable {
    /// What every step shares.
    struct Plan: Sendable {
        var concurrency: Int
        var qps: Double
        var arrivals: ArrivalSchedule.Process
        var warmup: Duration
        var duration: Duration
        var drain: Duration
        var seed: UInt64
        var questions: [String]
        var runPrefix: String
        /// The external API's key prefix: every step then shares it instead of getting a fresh one.
        var fixedPrefix: String?
        var apiKey: String?
        var ragserve: String
        var logDirectory: URL
        var progress: Bool
        /// Replayed instead of arrivals at `qps` when set.
        var trace: QueryTrace? = nil
        /// The tenants sending the traffic, each with its key; none: one anonymous tenant.
        var tenants: [TenantSpec] = []
        /// Whether each step draws arrivals and questions of its own instead of replaying the first step's.
        var drawPerStep = false
        /// How questions repeat and which answer caches are on.
        var repetition = Repetition()
    }

    let plan: Plan
    let services: SimulationServices
    let reaper: ProcessReaper
    let say: @Sendable (String) -> Void

    /// Runs the step with `workers` worker processes; `index` keeps prefixes and seeds apart.
    /// Returns the figures and the submissions they came from.
    func run(workers: Int, index: Int) async throws -> (result: StepResult, submissions: [Submission]) {
        let prefix = plan.fixedPrefix ?? "\(plan.runPrefix)-s\(index)-w\(workers)"
        var queue = QueueConfiguration()
        queue.prefix = prefix
        queue.maxDepth = 0
        let store = try ValkeyJobStore(url: services.valkeyURL, configuration: queue)
        let environment = services.childEnvironment(prefix: prefix, concurrency: plan.concurrency, repetition: plan.repetition)
        var tokens: [Int] = []
        do {
            let submitter: APIJobSubmitter
            if let apiURL = services.apiURL {
                submitter = APIJobSubmitter(baseURL: apiURL, apiKey: plan.apiKey, httpClient: services.httpClient)
            } else {
                let apiEnvironment = environment.merging(TenantSpec.environment(plan.tenants)) { _, tenants in tenants }
                let (url, token) = try await startAPI(environment: apiEnvironment, logName: "step\(index)-api")
                tokens.append(token)
                submitter = APIJobSubmitter(baseURL: url, apiKey: nil, tenants: plan.tenants, httpClient: services.httpClient)
            }
            var children: [ChildProcess] = []
            for number in 1...workers {
                let (child, token) = try startWorker(number: number, logName: "step\(index)-worker\(number)", environment: environment)
                tokens.append(token)
                children.append(child)
            }
            try await Self.waitUntil(seconds: 30, "\(workers) worker process(es) to register (logs in \(plan.logDirectory.path))") {
                if let dead = children.firstIndex(where: { !$0.isRunning }) {
                    throw SimulationError("worker \(dead + 1) exited at start; see \(log("step\(index)-worker\(dead + 1)"))")
                }
                return try await store.stats().liveWorkers >= workers
            }
            let before = services.fakeOpenAI?.counters.snapshot()
            var (result, submissions) = try await measure(workers: workers, index: index, store: store, submitter: submitter)
            if let before, let after = services.fakeOpenAI?.counters.snapshot() {
                result.provider429s = after.rateLimited.values.reduce(0, +) - before.rateLimited.values.reduce(0, +)
                result.providerCalls = after.totalRequests - before.totalRequests
            }
            await reaper.stop(tokens)
            // A shared queue (--api-url) must not hand this step's leftovers to the next step's workers.
            _ = try? await store.cancelWaiting()
            store.close()
            return (result, submissions)
        } catch {
            await reaper.stop(tokens)
            store.close()
            throw error
        }
    }

    private func measure(
        workers: Int, index: Int, store: ValkeyJobStore, submitter: APIJobSubmitter
    ) async throws -> (StepResult, [Submission]) {
        let traffic = plan.traffic(step: index, collection: services.collection)
        let clock = ContinuousClock()
        let start = clock.now + .milliseconds(100)
        let wallStart = Date().addingTimeInterval((start - clock.now).seconds)
        let windowStart = wallStart.addingTimeInterval(plan.warmup.seconds)
        let windowEnd = windowStart.addingTimeInterval(plan.duration.seconds)
        let progress = ProgressLine(enabled: plan.progress, label: "workers \(workers)")

        var pending: [(id: JobID?, submission: Submission)] = []
        try await withThrowingTaskGroup(of: (JobID?, Submission).self) { group in
            for (number, arrival) in traffic.enumerated() {
                try await clock.sleep(until: start + arrival.offset)
                let measured = arrival.offset >= plan.warmup
                let query = arrival.query
                let tenant = arrival.tenant
                let intent = arrival.intent
                group.addTask {
                    let sent = Date()
                    do {
                        let (id, accepted, answered) = try await submitter.submitReadingCached(query, tenant: tenant)
                        var submission = Submission(sentAt: sent, returnedAt: accepted, measured: measured, tenant: tenant)
                        submission.cachedAnswerAt = answered
                        submission.intent = intent
                        return (id, submission)
                    } catch {
                        return (nil, Submission(sentAt: sent, returnedAt: Date(), measured: measured, refusal: "\(error)", tenant: tenant))
                    }
                }
                progress.update("sent \(number + 1)/\(traffic.count)")
            }
            for try await done in group { pending.append((done.0, done.1)) }
        }

        // The workers run to the end of the window even when the traffic was sent earlier (a burst):
        // the window's figures count what they did in all of it.
        try await clock.sleep(until: start + plan.warmup + plan.duration)
        let deadline = clock.now + plan.drain
        while clock.now < deadline {
            let stats = try await store.stats()
            let left = stats.waiting + stats.active + stats.scheduled
            if left == 0 { break }
            progress.update("draining: \(left) job(s) left")
            try await clock.sleep(for: .milliseconds(100))
        }
        progress.finish()
        let cutoff = Date()

        let records = try await fetchRecords(pending.compactMap(\.id), store: store)
        let submissions = pending.map { entry -> Submission in
            var submission = entry.submission
            if let id = entry.id { submission.record = records[id] }
            return submission
        }
        if let refusal = submissions.first(where: { $0.refusal != nil })?.refusal {
            say("  note: \(submissions.filter { $0.refusal != nil }.count) submission(s) refused, first: \(refusal)")
        }
        let failures = submissions.compactMap { $0.record?.status == .failed ? $0.record?.error : nil }
        if let first = failures.first {
            say("  note: \(failures.count) job(s) failed, first: \(first.code): \(first.message)")
        }
        var result = StepResult(
            workers: workers, concurrency: plan.concurrency, submissions: submissions, windowStart: windowStart, windowEnd: windowEnd,
            cutoff: cutoff, tenants: plan.tenants
        )
        result.timeline = StepTimeline(submissions: submissions, start: wallStart, windowStart: windowStart, windowEnd: windowEnd, cutoff: cutoff)
        return (result, submissions)
    }

    /// The records of `ids`, 16 reads at a time.
    func fetchRecords(_ ids: [JobID], store: ValkeyJobStore) async throws -> [JobID: JobRecord] {
        var records: [JobID: JobRecord] = [:]
        for start in stride(from: 0, to: ids.count, by: 16) {
            let batch = ids[start..<min(start + 16, ids.count)]
            try await withThrowingTaskGroup(of: JobRecord?.self) { group in
                for id in batch { group.addTask { try await store.job(id) } }
                for try await record in group { if let record { records[record.id] = record } }
            }
        }
        return records
    }

    /// Starts `ragserve worker` at the plan's concurrency, registered with the reaper; returns the
    /// process and its reaper token.
    func startWorker(number: Int, logName: String, environment: [String: String]) throws -> (ChildProcess, Int) {
        let child = ChildProcess(executable: plan.ragserve, arguments: ["worker", "--concurrency", String(plan.concurrency)])
        let token = reaper.add("child:worker-\(number)", child: child, grace: .seconds(5))
        try child.start(outputPath: log(logName), environment: environment)
        return (child, token)
    }

    /// Starts `ragserve api --port <port>` (0: a free one) on the step's queue; returns its URL and reaper
    /// token once `/healthz` answers. `child` receives the process, for callers that signal it.
    func startAPI(
        environment: [String: String], logName: String, port: Int = 0, child receive: (ChildProcess) -> Void = { _ in }
    ) async throws -> (String, Int) {
        let output = log(logName)
        let child = ChildProcess(executable: plan.ragserve, arguments: ["api", "--host", "127.0.0.1", "--port", String(port)])
        receive(child)
        let token = reaper.add("child:api", child: child, grace: .seconds(5))
        try child.start(outputPath: output, environment: environment)
        var url: String?
        try await Self.waitUntil(seconds: 20, "ragserve api to listen (log in \(output))") {
            guard child.isRunning else { throw SimulationError("ragserve api exited at start; see \(output)") }
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("API_URL=") }) else { return false }
            url = String(line.dropFirst("API_URL=".count))
            return true
        }
        guard let url else { throw SimulationError("ragserve api printed no API_URL") }
        try await SimulationServices.checkHealth(url, httpClient: services.httpClient)
        return (url, token)
    }

    func log(_ name: String) -> String {
        plan.logDirectory.appendingPathComponent("\(name).log").path
    }

    /// Polls `condition` every 50 ms until it holds, or throws after `seconds`.
    static func waitUntil(seconds: Int, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw SimulationError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
