import ArgumentParser
import RAGQueue
import RAGQueueAPI

/// `ragserve worker`: claims `rag.query` jobs and answers them until SIGTERM or SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: claim rag.query jobs from the queue and answer them.",
        discussion: "SIGTERM or SIGINT stops claiming, lets running jobs finish within WORKER_SHUTDOWN_GRACE_SECONDS, "
            + "and hands the rest back to the queue."
    )

    @Option(help: "Jobs run at once (default: WORKER_CONCURRENCY, 32).")
    var concurrency: Int?
    @Option(help: "Queue name (default: RAGQ_QUEUE, default).")
    var queue: String?
    @Option(help: "Serve /metrics and /healthz on this port; 0 picks a free one (default: WORKER_METRICS_PORT, off).")
    var metricsPort: Int?

    func run() async throws {
        let configuration = try CommandSupport.configuration { configuration in
            if let concurrency { configuration.worker.concurrency = concurrency }
            if let queue { configuration.queue.name = queue }
            if let metricsPort { configuration.workerMetricsPort = metricsPort }
        }
        let logger = CommandSupport.logger("ragserve.worker", configuration)
        let tracing = try CommandSupport.tracing("ragserve-worker", logger: logger)
        // The worker's figures go to Prometheus, served when a port is set.
        let server = WorkerMetricsServer()
        let application: WorkerApplication
        do {
            application = try await WorkerApplication(configuration: configuration, metrics: WorkerMetrics(factory: server.factory), logger: logger)
        } catch {
            throw CommandSupport.fail(error)
        }
        var services = tracing + application.services
        var listening: [(host: String, port: Int)] = []
        if let port = configuration.workerMetricsPort {
            let host = configuration.workerMetricsHost
            let announce = CommandSupport.announce("METRICS_URL", host: host, path: "/metrics")
            services.insert(server.service(host: host, port: port, logger: logger, onServerRunning: announce), at: 0)
            listening.append((host, port))
        }
        try await CommandSupport.run(services, logger: logger, listening: listening) { await application.close() }
    }
}
