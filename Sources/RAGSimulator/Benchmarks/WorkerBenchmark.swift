import FakeBackends
import Foundation
import Logging
import RAGQueue
import RAGQueueTestSupport

/// RAG jobs through the real `ragserve api` and one `ragserve worker` against the fakes at a fixed
/// backend time: CPU per job of each process, the highest offered rate the box keeps up with,
/// the CPU one request costs the HTTP server and client alone, memory per job in flight, memory
/// and sockets after a burst.
public struct WorkerBenchmark: Sendable {
    /// What to measure.
    public struct Options: Sendable {
        /// Offered rates (queries per second), one row each, each positive.
        var rates: [Int]
        /// Seconds of traffic per rate.
        var seconds: Int
        /// Jobs in flight at once whose memory is read, one row each.
        var inFlight: [Int]
        /// How long the slow model holds each answer while the in-flight memory is read.
        var hold: Duration
        /// How long after the last burst the memory and sockets are read again.
        var settle: Duration

        /// Options with every value given.
        public init(rates: [Int], seconds: Int, inFlight: [Int], hold: Duration, settle: Duration) {
            self.rates = rates
            self.seconds = seconds
            self.inFlight = inFlight
            self.hold = hold
            self.settle = settle
        }
    }

    /// One row of the rate ladder.
    struct RateRow: Sendable {
        var jobs = 0
        var errors = 0
        /// Milliseconds from the POST to the long-poll's answer, sorted.
        var latencies: [Double] = []
        var workerCPUms: Double = 0
        var apiCPUms: Double = 0
        var valkeyCPUms: Double = 0
        /// This process: the clients and the fakes.
        var clientCPUms: Double = 0
        /// Valkey commands (those inside scripts included) and client calls per job.
        var valkeyCommands: Double = 0
        var valkeyCalls: Double = 0
        /// The first error a client met, for the note under the table.
        var firstError: String?
    }

    /// The fixed backend: embeddings, then Qdrant, then the chat model; none streams.
    static let embeddingTime = Duration.milliseconds(100)
    static let searchTime = Duration.milliseconds(20)
    static let chatTime = Duration.milliseconds(430)
    static var backendTime: Duration { embeddingTime + searchTime + chatTime }

    let options: Options

    /// A benchmark configured by `options`.
    public init(options: Options) {
        self.options = options
    }

    /// Runs both parts and prints their tables; everything started is stopped at the end, on
    /// error and on SIGINT or SIGTERM.
    public func run() async throws {
        try await APIBenchmark.running("bench-worker") { ragserve, workDirectory, reaper in
            try await measure(ragserve: ragserve, workDirectory: workDirectory, reaper: reaper)
        }
    }

    private func measure(ragserve: String, workDirectory: URL, reaper: ProcessReaper) async throws {
        OpenStreams.raiseFileLimit()  // thousands of jobs in flight are thousands of sockets; children inherit it
        var logger = Logger(label: "ragsim.bench-worker")
        logger.logLevel = .warning
        let services = try await SimulationServices.start(
            endpoints: .init(), profile: .fixed, seed: 42, corpus: SimCorpus(seed: 42), collection: "bench",
            workDirectory: workDirectory, reaper: reaper, logger: logger, say: { Console.line($0) }
        )
        let prefix = "bench-worker-\(JobID().rawValue.prefix(8))"
        var queue = QueueConfiguration()
        queue.prefix = prefix
        queue.maxDepth = 0
        let store = try ValkeyJobStore(url: services.valkeyURL, configuration: queue)
        reaper.add("valkey-client") { store.close() }
        // Room for every job in flight (a rate's jobs take ~0.55 s each, more when it falls behind), within the worker's limit.
        let concurrency = min(10_000, max(options.inFlight.max() ?? 0, (options.rates.max() ?? 0) * 4, 64))
        var environment = services.childEnvironment(prefix: prefix, concurrency: concurrency)
        // Every client long-polls its own job, all with the one (absent) key.
        environment["API_MAX_OPEN_WAITS_PER_KEY"] = String(concurrency + 100)
        environment["API_MAX_CONNECTIONS"] = String(max(16_384, concurrency * 2))
        let (apiURL, apiPID) = try await APIBenchmarkRun.startAPI(
            ragserve: ragserve, environment: environment, workDirectory: workDirectory, reaper: reaper, http: services.httpClient
        )
        let cores = ProcessInfo.processInfo.activeProcessorCount
        Console.line("ragserve api and one ragserve worker (concurrency \(concurrency)), Valkey, the fakes and this process share \(cores) cores")
        Console.line("backend: embeddings \(Self.milliseconds(Self.embeddingTime)) ms, Qdrant \(Self.milliseconds(Self.searchTime)) ms, "
            + "chat \(Self.milliseconds(Self.chatTime)) ms, fixed (\(Self.milliseconds(Self.backendTime)) ms a job); 1536-d vectors, top_k 4, not streamed")

        let worker = try await startWorker(
            ragserve: ragserve, environment: environment, name: "worker", workDirectory: workDirectory, reaper: reaper, store: store
        )
        guard let apiPID, let workerPID = worker.child.pid, let valkeyPID = services.valkeyServer?.pid else {
            throw SimulationError("the api's, the worker's or Valkey's pid is unknown")
        }
        let ownPID = getpid()
        let client = RAGQueueClient(baseURL: apiURL, httpClient: services.httpClient)
        _ = try await offer(rate: 20, seconds: 1, offset: 0, client: client)  // warm-up: connections, scripts, allocator
        Console.line("")
        Console.line("offered rate, \(options.seconds) s each: POST /v1/queries, then GET /v1/queries/{id}?wait=30 until it ends")
        Console.line("                                          CPU ms per job                        Valkey per job")
        Console.line("     q/s    jobs  errors   p50 ms   p99 ms   worker     api  valkey  client+fakes   commands  calls   kept up")
        let limit = Self.milliseconds(Self.backendTime) * 1.1
        var highest: Int?
        var errors: [String] = []
        var offset = 1_000
        for rate in options.rates {
            let pids = [workerPID, apiPID, valkeyPID, ownPID]
            let before = pids.compactMap { ProcessUsage.read(pid: $0)?.cpuSeconds }
            let countsBefore = try await store.serverCounts()
            var row = try await offer(rate: rate, seconds: options.seconds, offset: offset, client: client)
            offset += rate * options.seconds
            let after = pids.compactMap { ProcessUsage.read(pid: $0)?.cpuSeconds }
            let countsAfter = try await store.serverCounts()
            row.valkeyCommands = Double(countsAfter.commands - countsBefore.commands - 2) / Double(max(row.jobs, 1))  // less the INFO pair
            row.valkeyCalls = Double(countsAfter.calls - countsBefore.calls) / Double(max(row.jobs, 1))
            guard before.count == pids.count, after.count == pids.count else {
                throw SimulationError("the worker, the api or Valkey exited (logs in \(workDirectory.path))")
            }
            let perJob = zip(before, after).map { ($1 - $0) * 1000 / Double(max(row.jobs, 1)) }
            (row.workerCPUms, row.apiCPUms, row.valkeyCPUms, row.clientCPUms) = (perJob[0], perJob[1], perJob[2], perJob[3])
            let p99 = APIBenchmarkRun.percentile(row.latencies, 0.99)
            let keptUp = row.errors == 0 && p99 <= limit
            if keptUp { highest = max(highest ?? 0, rate) }
            Console.line(APIBenchmarkRun.pad(String(rate), 8) + APIBenchmarkRun.pad(String(row.jobs), 8) + APIBenchmarkRun.pad(String(row.errors), 8)
                + APIBenchmarkRun.pad(APIBenchmarkRun.format(APIBenchmarkRun.percentile(row.latencies, 0.5)), 9)
                + APIBenchmarkRun.pad(APIBenchmarkRun.format(p99), 9)
                + [row.workerCPUms, row.apiCPUms, row.valkeyCPUms].map { APIBenchmarkRun.pad(String(format: "%.2f", $0), 8) }.joined()
                + APIBenchmarkRun.pad(String(format: "%.2f", row.clientCPUms), 14) + APIBenchmarkRun.pad(String(format: "%.1f", row.valkeyCommands), 11)
                + APIBenchmarkRun.pad(String(format: "%.1f", row.valkeyCalls), 7) + APIBenchmarkRun.pad(keptUp ? "yes" : "no", 10))
            if let error = row.firstError { errors.append("  \(rate) q/s, first error: \(error)") }
        }
        for line in errors { Console.line(line) }
        Console.line("Valkey commands count those inside scripts; calls are the script runs and blocking waits clients sent")
        Console.line("kept up: no errors and p99 <= 1.1 x the backend time (\(String(format: "%.0f", limit)) ms); highest rate kept up: "
            + (highest.map { "\($0) q/s" } ?? "none of those offered"))
        await reaper.stop([worker.token])

        try await measureFloor(apiURL: apiURL, apiPID: apiPID, http: services.httpClient, workDirectory: workDirectory, reaper: reaper)
        try await measureMemory(
            ragserve: ragserve, environment: environment, workDirectory: workDirectory, reaper: reaper, store: store, offset: offset
        )
    }

    /// Jobs held in flight by a slow model, `inFlight` at a time: the worker's memory and sockets
    /// at each level, then right after the last burst and `settle` later.
    private func measureMemory(
        ragserve: String, environment: [String: String], workDirectory: URL, reaper: ProcessReaper, store: ValkeyJobStore, offset: Int
    ) async throws {
        let slow = FakeOpenAIServer(configuration: .init(
            seed: 42, latency: LatencyProfile(default: .fixed(.zero), perEndpoint: [.chatCompletions: .fixed(options.hold)])
        ))
        reaper.add("fake-openai-slow") { await slow.stop() }
        try await slow.start()
        var slowEnvironment = environment
        slowEnvironment["OPENAI_BASE_URL"] = slow.baseURL
        let worker = try await startWorker(
            ragserve: ragserve, environment: slowEnvironment, name: "worker-memory", workDirectory: workDirectory, reaper: reaper, store: store
        )
        guard let pid = worker.child.pid, let idle = ProcessUsage.read(pid: pid) else { throw SimulationError("the worker's pid is unknown") }
        Console.line("")
        Console.line("jobs held in flight (the model answers after \(Self.milliseconds(options.hold) / 1000) s), a fresh worker: idle "
            + "\(idle.residentKB / 1024) MB resident, \(idle.sockets) sockets, \(idle.threads) threads")
        Console.line("in flight   resident MB   KB per job   sockets   threads")
        var next = offset
        for count in options.inFlight {
            let chats = slow.counters.snapshot().requests(.chatCompletions)
            for start in stride(from: 0, to: count, by: 256) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for number in start..<min(start + 256, count) {
                        let query = Self.question(next + number)
                        group.addTask { _ = try await store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: query.json)) }
                    }
                    try await group.waitForAll()
                }
            }
            next += count
            try await SimulationStep.waitUntil(seconds: max(30, Int(options.hold.seconds)), "\(count) chat requests in flight") {
                slow.counters.snapshot().requests(.chatCompletions) - chats >= count
            }
            guard let usage = ProcessUsage.read(pid: pid) else { throw SimulationError("the worker exited (logs in \(workDirectory.path))") }
            let perJob = Double(usage.residentKB - idle.residentKB) / Double(count)
            Console.line(APIBenchmarkRun.pad(String(count), 9) + APIBenchmarkRun.pad(String(usage.residentKB / 1024), 14)
                + APIBenchmarkRun.pad(String(format: "%.1f", perJob), 13) + APIBenchmarkRun.pad(String(usage.sockets), 10)
                + APIBenchmarkRun.pad(String(usage.threads), 10))
            try await SimulationStep.waitUntil(seconds: Int(options.hold.seconds) + 120, "the \(count) jobs to end") {
                let stats = try await store.stats()
                return stats.waiting + stats.active == 0
            }
        }
        guard let ended = ProcessUsage.read(pid: pid) else { throw SimulationError("the worker exited (logs in \(workDirectory.path))") }
        Console.line("after the last burst ended: \(ended.residentKB / 1024) MB resident (peak \(ended.peakResidentKB / 1024) MB), \(ended.sockets) sockets")
        try await Task.sleep(for: options.settle)
        guard let settled = ProcessUsage.read(pid: pid) else { throw SimulationError("the worker exited (logs in \(workDirectory.path))") }
        Console.line("\(Self.milliseconds(options.settle) / 1000) s later: \(settled.residentKB / 1024) MB resident ("
            + String(format: "%.2f", Double(settled.residentKB) / Double(max(idle.residentKB, 1))) + " x idle), \(settled.sockets) sockets")
        await reaper.stop([worker.token])
    }

    /// Offers `rate` queries a second for `seconds` through the API, each a question of its own
    /// (numbered from `offset`, so no answer cache or coalescing serves it); each client waits
    /// for its answer by long poll.
    private func offer(rate: Int, seconds: Int, offset: Int, client: RAGQueueClient) async throws -> RateRow {
        var row = RateRow()
        let outcomes = await Self.paced(rate: rate, seconds: seconds) { number -> Result<Double, SimulationError> in
            let sent = ContinuousClock.now
            do {
                let query = Self.question(offset + number)
                let (id, _) = try await client.accept(query)
                var view = try await client.query(id, wait: .seconds(30))
                while !RAGQueueClient.hasEnded(view) { view = try await client.query(id, wait: .seconds(30)) }
                guard view["status"]?.stringValue == JobStatus.finished.rawValue else {
                    return .failure(SimulationError("a job ended \(view["status"]?.stringValue ?? "without a status"): \(view["error"].map { "\($0)" } ?? "")"))
                }
                return .success((ContinuousClock.now - sent).seconds * 1000)
            } catch {
                return .failure(SimulationError("\(error)"))
            }
        }
        for outcome in outcomes {
            switch outcome {
            case .success(let latency):
                row.jobs += 1
                row.latencies.append(latency)
            case .failure(let error):
                row.errors += 1
                if row.firstError == nil { row.firstError = error.description }
            }
        }
        row.latencies.sort()
        return row
    }

    /// Starts `body` for the numbers `0..<rate * seconds`, one every `1 / rate` seconds whether or
    /// not the earlier ones have ended (an open arrival, like users), and returns what each returned.
    private static func paced<Outcome: Sendable>(
        rate: Int, seconds: Int, _ body: @escaping @Sendable (Int) async -> Outcome
    ) async -> [Outcome] {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.seconds(1) / rate
        return await withTaskGroup(of: Outcome.self) { group in
            for number in 0..<(rate * seconds) {
                try? await clock.sleep(until: start + interval * number)
                group.addTask { await body(number) }
            }
            var outcomes: [Outcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    /// What one request costs a server and this process's HTTP client (libcurl, as in the worker)
    /// when it does nothing else: the api's `GET /healthz` (Hummingbird, its router and RAGQueue's
    /// middleware, no Valkey) and a Hummingbird server with one small responder (the fake Qdrant's
    /// `GET /`, in a `ragsim fakes` child of its own). Offered at the requests a second the api
    /// serves at the ladder's first rate (a submit and a long-poll a job), with the worker stopped.
    private func measureFloor(apiURL: String, apiPID: Int32, http: CurlHTTPClient, workDirectory: URL, reaper: ProcessReaper) async throws {
        guard let jobRate = options.rates.first else { return }
        let rate = jobRate * 2
        let fakes = try await startFakes(workDirectory: workDirectory, reaper: reaper)
        Console.line("")
        Console.line("the floor: GET requests alone, \(rate) a second for \(options.seconds) s (a submit and a long-poll a job at \(jobRate) q/s)")
        Console.line("                                               CPU ms per request")
        Console.line("server                                         server    client")
        let servers: [(name: String, url: String?, pid: Int32)] = [
            ("ragserve api, GET /healthz", apiURL + "/healthz", apiPID), ("Hummingbird alone (fake Qdrant, GET /)", fakes.url + "/", fakes.pid),
            ("none: the pacing alone", nil, fakes.pid),
        ]
        for (name, url, pid) in servers {
            let pids = [pid, getpid()]
            let before = pids.compactMap { ProcessUsage.read(pid: $0)?.cpuSeconds }
            let failures = await Self.paced(rate: rate, seconds: options.seconds) { _ -> String? in
                guard let url else { return nil }
                do {
                    let response = try await http.execute(HTTPClientRequest(url: url, timeout: .seconds(10)))
                    return response.isSuccess ? nil : "answered \(response.status)"
                } catch {
                    return "\(error)"
                }
            }.compactMap { $0 }
            let after = pids.compactMap { ProcessUsage.read(pid: $0)?.cpuSeconds }
            guard before.count == 2, after.count == 2 else { throw SimulationError("\(name): the server exited (logs in \(workDirectory.path))") }
            if let first = failures.first { throw SimulationError("\(name): \(failures.count) requests failed, the first: \(first)") }
            let perRequest = zip(before, after).map { ($1 - $0) * 1000 / Double(rate * options.seconds) }
            Console.line(name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + (url == nil ? APIBenchmarkRun.pad("-", 9) : APIBenchmarkRun.pad(String(format: "%.3f", perRequest[0]), 9))
                + " " + APIBenchmarkRun.pad(String(format: "%.3f", perRequest[1]), 9))
        }
        Console.line("client: this process, libcurl as in the worker plus the pacing (the last row); a job is two such requests")
        Console.line("to the api and three from the worker's HTTP client, before any work of its own")
        await reaper.stop([fakes.token])
    }

    /// Starts `ragsim fakes` (this program) on free ports and returns the fake Qdrant's URL.
    private func startFakes(workDirectory: URL, reaper: ProcessReaper) async throws -> (url: String, pid: Int32, token: Int) {
        let output = workDirectory.appendingPathComponent("fakes.log").path
        let child = ChildProcess(executable: ChildProcess.currentExecutable, arguments: ["fakes", "--host", "127.0.0.1"])
        let token = reaper.add("child:fakes", child: child, grace: .seconds(5))
        try child.start(outputPath: output)
        var url: String?
        try await SimulationStep.waitUntil(seconds: 20, "ragsim fakes to listen (log in \(output))") {
            guard child.isRunning else { throw SimulationError("ragsim fakes exited at start; see \(output)") }
            let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            url = log.split(separator: "\n").first { $0.hasPrefix("QDRANT_URL=") }.map { String($0.dropFirst("QDRANT_URL=".count)) }
            return url != nil
        }
        guard let url, let pid = child.pid else { throw SimulationError("ragsim fakes did not say where it listens (log in \(output))") }
        return (url, pid, token)
    }

    /// Starts `ragserve worker` and waits until it has registered with the queue.
    private func startWorker(
        ragserve: String, environment: [String: String], name: String, workDirectory: URL, reaper: ProcessReaper, store: ValkeyJobStore
    ) async throws -> (child: ChildProcess, token: Int) {
        let output = workDirectory.appendingPathComponent("\(name).log").path
        let child = ChildProcess(executable: ragserve, arguments: ["worker"])
        let token = reaper.add("child:\(name)", child: child, grace: .seconds(5))
        try child.start(outputPath: output, environment: environment)
        let live = try await store.stats().liveWorkers
        try await SimulationStep.waitUntil(seconds: 30, "ragserve worker to register (log in \(output))") {
            guard child.isRunning else { throw SimulationError("ragserve worker exited at start; see \(output)") }
            return try await store.stats().liveWorkers > live
        }
        return (child, token)
    }

    /// Question `number`, distinct from every other, so no answer cache or coalescing serves it.
    private static func question(_ number: Int) -> RAGQuery {
        RAGQuery(query: "What does the lease protect in case \(number)?", topK: 4)
    }

    private static func milliseconds(_ duration: Duration) -> Double { duration.seconds * 1000 }
}
