import ArgumentParser
import RAGQueue

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

    func run() async throws {
        let configuration = try CommandSupport.configuration { configuration in
            if let concurrency { configuration.worker.concurrency = concurrency }
            if let queue { configuration.queue.name = queue }
        }
        let logger = CommandSupport.logger("ragserve.worker", level: configuration.logLevel)
        let application: WorkerApplication
        do {
            application = try await WorkerApplication(configuration: configuration, logger: logger)
        } catch {
            throw CommandSupport.fail(error)
        }
        try await CommandSupport.run(application.services, logger: logger) { await application.close() }
    }
}
