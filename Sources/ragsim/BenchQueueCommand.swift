import ArgumentParser
import Foundation
import RAGSimulator

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
    @Option(help: "Python interpreter for python-rq's comparison; skipped unless it imports rq.")
    var python = ".venv/bin/python"
    @Option(help: "The comparison's script.")
    var rqScript = "bench/rq_noop.py"
    @Option(help: "No-op jobs python-rq runs (one SimpleWorker).")
    var rqJobs = 2_000

    func run() async throws {
        let processCounts = try Self.parseList(processes, name: "--processes")
        let concurrencies = try Self.parseList(concurrency, name: "--concurrency")
        guard jobs > 0, producers > 0, rqJobs > 0 else { throw ValidationError("--jobs, --producers and --rq-jobs must be positive") }
        let options = QueueBenchmark.Options(
            valkeyURL: valkeyURL, processes: processCounts, concurrencies: concurrencies, jobs: jobs, producers: producers,
            python: python, rqScript: rqScript, rqJobs: rqJobs
        )
        do {
            try await QueueBenchmark(options: options).run()
        } catch let error as SimulationError {
            // bench-queue has always ended a timeout the way ArgumentParser ends a usage error (exit status 64).
            throw ValidationError(error.description)
        }
    }

    /// The positive whole numbers of a comma-separated option; `name` is the flag, for the message.
    static func parseList(_ text: String, name: String) throws -> [Int] {
        let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = values.compactMap { Int($0) }
        guard !values.isEmpty, numbers.count == values.count, numbers.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(name) takes positive whole numbers separated by commas, got '\(text)'")
        }
        return numbers
    }
}
