import Foundation
import RAGQueue
import RAGQueueTestSupport

/// No-op jobs per second through the real queue, end to end (enqueue, claim, complete), against
/// `ragsim queue-worker` processes: one table row per process count and concurrency.
public struct QueueBenchmark: Sendable {
    /// What to measure.
    public struct Options: Sendable {
        /// A running Valkey to use instead of a private one.
        var valkeyURL: String?
        /// Worker process counts to measure, each positive.
        var processes: [Int]
        /// Jobs each worker process runs at once, each positive.
        var concurrencies: [Int]
        /// No-op jobs per measurement.
        var jobs: Int
        /// Concurrent enqueuing tasks in this process.
        var producers: Int
        /// The Python interpreter that runs python-rq's comparison (skipped unless it imports `rq`).
        var python: String
        /// The comparison's script (`bench/rq_noop.py`).
        var rqScript: String
        /// No-op jobs python-rq runs.
        var rqJobs: Int

        /// Options with every value given.
        public init(valkeyURL: String?, processes: [Int], concurrencies: [Int], jobs: Int, producers: Int, python: String, rqScript: String, rqJobs: Int) {
            self.valkeyURL = valkeyURL
            self.processes = processes
            self.concurrencies = concurrencies
            self.jobs = jobs
            self.producers = producers
            self.python = python
            self.rqScript = rqScript
            self.rqJobs = rqJobs
        }
    }

    let options: Options

    /// A benchmark configured by `options`.
    public init(options: Options) {
        self.options = options
    }

    /// Starts a private Valkey unless given one, measures every row and prints the table. Throws
    /// `SimulationError` when the workers or the jobs do not get done in time.
    public func run() async throws {
        var server: ValkeyServerProcess?
        let url: String
        if let valkeyURL = options.valkeyURL {
            url = valkeyURL
        } else {
            let privateServer = try ValkeyServerProcess()
            try await privateServer.start()
            server = privateServer
            url = privateServer.url
        }
        defer { server?.cleanUp() }

        Console.line("no-op jobs end to end (enqueue, claim, complete); \(options.jobs) jobs per row; Valkey at \(url)")
        Console.line("processes  concurrency      jobs/s   commands/job   calls/job")
        do {
            var best = 0.0
            for count in options.processes {
                for perProcess in options.concurrencies {
                    let row = try await measure(url: url, processes: count, concurrency: perProcess)
                    Console.line(String(format: "%9d  %11d  %10.0f  %13.2f  %10.2f", count, perProcess, row.jobsPerSecond, row.commandsPerJob, row.callsPerJob))
                    best = max(best, row.jobsPerSecond)
                }
            }
            try await compareWithRQ(url: url, best: best)
            try await measureScriptCalls(url: url)
        } catch {
            await server?.stop()
            throw error
        }
        await server?.stop()
    }

    private func measure(url: String, processes: Int, concurrency: Int) async throws -> (jobsPerSecond: Double, commandsPerJob: Double, callsPerJob: Double) {
        let jobs = options.jobs
        let producers = options.producers
        var queue = QueueConfiguration()
        queue.prefix = "bench-\(JobID().rawValue.prefix(8))"
        queue.maxDepth = 0
        let store = try ValkeyJobStore(url: url, configuration: queue)
        defer { store.close() }
        let workers = (0..<processes).map { _ in
            ChildProcess(executable: ChildProcess.currentExecutable, arguments: [
                "queue-worker", "--valkey-url", url, "--prefix", queue.prefix, "--concurrency", String(concurrency),
            ])
        }
        for worker in workers { try worker.start() }
        defer { Task { [workers] in for worker in workers { await worker.stop() } } }
        try await waitFor(seconds: 30, "worker processes to register") { try await store.stats().liveWorkers == processes }

        let before = try await store.serverCounts()
        let start = ContinuousClock.now
        let perProducer = jobs / producers
        let remainder = jobs % producers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                let count = perProducer + (producer < remainder ? 1 : 0)
                group.addTask {
                    for _ in 0..<count {
                        _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: []))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await waitFor(seconds: 600, "every job to finish") { try await store.stats().counters["finished", default: 0] >= jobs }
        let elapsed = ContinuousClock.now - start
        let after = try await store.serverCounts()
        for worker in workers { await worker.stop() }
        let seconds = elapsed.seconds
        return (Double(jobs) / seconds, Double(after.commands - before.commands) / Double(jobs), Double(after.calls - before.calls) / Double(jobs))
    }

    /// Valkey's own time per script call (`INFO commandstats`: a script's time includes the
    /// commands it ran; the network and the client are not in it), for each step of a job made one
    /// job a call (each awaited before the next), then the same steps for as many jobs at once
    /// (submits and completions grouped into few calls, claims of as many as a call takes): the
    /// queue's cost on the server, apart from everything else.
    private func measureScriptCalls(url: String) async throws {
        let count = 2_000
        var queue = QueueConfiguration()
        queue.prefix = "bench-\(JobID().rawValue.prefix(8))"
        queue.maxDepth = 0
        let store = try ValkeyJobStore(url: url, configuration: queue)
        defer { store.close() }
        Console.line("Valkey's time per script call (its commands included), \(count) calls each")
        Console.line("script                       µs/call   µs/job   commands/job")
        func row(_ name: String, jobs: Int, _ body: () async throws -> Void) async throws {
            let before = try await store.serverCounts()
            try await body()
            let after = try await store.serverCounts()
            let calls = max(1, after.scriptCalls - before.scriptCalls)
            let microseconds = Double(after.scriptMicroseconds - before.scriptMicroseconds)
            let commands = Double(after.commands - before.commands)
            Console.line(name.padding(toLength: 25, withPad: " ", startingAt: 0) + String(
                format: "  %10.1f  %7.1f  %13.2f", microseconds / Double(calls), microseconds / Double(jobs), commands / Double(jobs)
            ))
        }
        try await row("enqueue, one job a call", jobs: count) {
            for _ in 0..<count { _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])) }
        }
        var leases: [JobLease] = []
        try await row("claim, one job a call", jobs: count) {
            for _ in 0..<count { leases += try await store.claim(workerID: "bench", count: 1).jobs.map(\.lease) }
        }
        try await row("complete, one job a call", jobs: count) {
            for lease in leases { try await store.complete(lease, result: [], timings: [:]) }
        }
        try await row("enqueue, \(count) at once", jobs: count) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<count { group.addTask { _ = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])) } }
                try await group.waitForAll()
            }
        }
        var batch: [ClaimedJob] = []
        try await row("claim, \(count) at once", jobs: count) {
            while batch.count < count {
                let claimed = try await store.claim(workerID: "bench", count: count - batch.count).jobs
                guard !claimed.isEmpty else { break }
                batch += claimed
            }
        }
        try await row("complete, \(count) at once", jobs: batch.count) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in batch { group.addTask { try await store.complete(job.lease, result: [], timings: [:]) } }
                try await group.waitForAll()
            }
        }
    }

    /// python-rq's SimpleWorker on the same Valkey, in the same window, when the interpreter has
    /// `rq`: its jobs per second (counted the same way: first enqueue to last end) and how many
    /// times that the best row above did. Otherwise one line saying why it was left out.
    private func compareWithRQ(url: String, best: Double) async throws {
        let fileManager = FileManager.default
        guard fileManager.isExecutableFile(atPath: options.python), fileManager.fileExists(atPath: options.rqScript) else {
            Console.line("python-rq: not measured (no \(options.python) or \(options.rqScript); `make bench-queue` installs rq in .venv)")
            return
        }
        let check = ChildProcess(executable: options.python, arguments: ["-c", "import rq"])
        try check.start(outputPath: "/dev/null")
        guard await check.waitForExit() == 0 else {
            Console.line("python-rq: not measured (\(options.python) cannot import rq; `make bench-queue` installs it)")
            return
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rq-noop-\(JobID().rawValue).txt").path
        defer { try? fileManager.removeItem(atPath: output) }
        let redisURL = url.replacingOccurrences(of: "valkey://", with: "redis://").replacingOccurrences(of: "valkeys://", with: "rediss://")
        let rq = ChildProcess(executable: options.python, arguments: [options.rqScript, "--url", redisURL, "--jobs", String(options.rqJobs)])
        try rq.start(outputPath: output)
        let status = await rq.waitForExit()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix("jobs_per_second=") }),
              let rate = Double(line.dropFirst("jobs_per_second=".count)), rate > 0
        else {
            throw SimulationError("python-rq's comparison failed (exit \(status)): \(text.suffix(300))")
        }
        Console.line(String(format: "python-rq SimpleWorker, 1 process, %d no-op jobs: %.0f jobs/s; the best row above is %.0f x that", options.rqJobs, rate, best / rate))
    }

    /// Polls `condition` every 10 ms: the benchmark's own bookkeeping, outside the measured path.
    private func waitFor(seconds: Int, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw SimulationError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
