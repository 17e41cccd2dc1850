import ArgumentParser
import Logging
import RAGQueue
import ServiceLifecycle
import UnixSignals

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
            application = try await buildWorkerApplication(configuration: configuration, logger: logger)
        } catch {
            throw CommandSupport.fail(error)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: application.services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            await application.close()
            throw CommandSupport.fail(error)
        }
        await application.close()
    }
}
