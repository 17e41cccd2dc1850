import ArgumentParser
import Foundation
import RAGQueue
import RAGQueueTestSupport

/// `ragsim bench-queue`: no-op jobs per second through the real queue, end to end.
struct BenchQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-queue",
        abstract: "Measure no-op jobs per second end to end (enqueue, claim, complete) against worker processes."
    )

    @Option(help: "Use this Valkey instead of starting a private one.")
    var valkeyURL: String?
    @Option(help: "Worker process counts to measure, comma separated.")
    var processes = "1,2,4"
    @Option(help: "Jobs each worker process runs at once, comma separated.")
    var concurrency = "1,16,64"
    @Option(help: "No-op jobs per measurement.")
    var jobs = 20_000
    @Option(help: "Concurrent enqueuing tasks in this process.")
    var producers = 16

    func run() async throws {
        let processCounts = try Self.parseList(processes, name: "--processes")
        let concurrencies = try Self.parseList(concurrency, name: "--concurrency")
        guard jobs > 0, producers > 0 else { throw ValidationError("--jobs and --producers must be positive") }

        var server: ValkeyServerProcess?
        let url: String
        if let valkeyURL {
            url = valkeyURL
        } else {
            let privateServer = try ValkeyServerProcess()
            try await privateServer.start()
            server = privateServer
            url = privateServer.url
        }
        defer { server?.cleanUp() }

        print("no-op jobs end to end (enqueue, claim, complete); \(jobs) jobs per row; Valkey at \(url)")
        print("processes  concurrency      jobs/s   commands/job   calls/job")
        do {
            for count in processCounts {
                for perProcess in concurrencies {
                    let row = try await measure(url: url, processes: count, concurrency: perProcess)
                    print(String(format: "%9d  %11d  %10.0f  %13.2f  %10.2f", count, perProcess, row.jobsPerSecond, row.commandsPerJob, row.callsPerJob))
                }
            }
        } catch {
            await server?.stop()
            throw error
        }
        await server?.stop()
    }

    private func measure(url: String, processes: Int, concurrency: Int) async throws -> (jobsPerSecond: Double, commandsPerJob: Double, callsPerJob: Double) {
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

    /// Polls `condition` every 10 ms: the benchmark's own bookkeeping, outside the measured path.
    private func waitFor(seconds: Int, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func parseList(_ text: String, name: String) throws -> [Int] {
        let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = values.compactMap { Int($0) }
        guard !values.isEmpty, numbers.count == values.count, numbers.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(name) takes positive whole numbers separated by commas, got '\(text)'")
        }
        return numbers
    }
}
