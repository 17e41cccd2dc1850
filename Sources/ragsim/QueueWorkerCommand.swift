import ArgumentParser
import Logging
import RAGSimulator

/// `ragsim queue-worker`: a worker process running the diagnostic kinds `noop` and `sleep`.
struct QueueWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-worker",
        abstract: "Run a worker for the diagnostic job kinds noop and sleep (benchmarks and tests)."
    )

    @Option(help: "Valkey URL.")
    var valkeyURL = "valkey://127.0.0.1:6379"
    @Option(help: "Key prefix.")
    var prefix = "ragq"
    @Option(help: "Queue name.")
    var queue = "default"
    @Option(help: "Jobs run at once.")
    var concurrency = 32
    @Option(help: "Lease in milliseconds.")
    var leaseMs = 15_000
    @Option(help: "Log level (trace, debug, info, warning, error).")
    var logLevel = "warning"

    func run() async throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        let options = QueueWorkerProcess.Options(
            valkeyURL: valkeyURL, prefix: prefix, queue: queue, concurrency: concurrency, lease: .milliseconds(leaseMs),
            logLevel: Logger.Level(rawValue: logLevel) ?? .warning
        )
        try await QueueWorkerProcess(options: options).run()
    }
}
