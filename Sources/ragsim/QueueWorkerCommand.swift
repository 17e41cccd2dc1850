import ArgumentParser
import Logging
import RAGQueue
import ServiceLifecycle
import UnixSignals

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
        var logger = Logger(label: "ragsim.queue-worker")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        var queueConfiguration = QueueConfiguration()
        queueConfiguration.prefix = prefix
        queueConfiguration.name = queue
        queueConfiguration.lease = .milliseconds(leaseMs)
        let store = try ValkeyJobStore(url: valkeyURL, configuration: queueConfiguration)
        var workerConfiguration = Worker.Configuration()
        workerConfiguration.concurrency = concurrency
        let worker = Worker(
            store: store, queue: queueConfiguration, handlers: [NoopJobHandler(), SleepJobHandler()],
            configuration: workerConfiguration, logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        store.close()
    }
}
