import ArgumentParser
import Foundation
import Logging
import RAGQueue
import RAGQueueAPI
import ServiceLifecycle
import UnixSignals

/// `ragserve api`: the HTTP API (Hummingbird), in front of the Valkey job queue.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the HTTP API: submit questions, read status and answers, stream events.",
        discussion: "Prints API_URL=http://host:port on standard output once it accepts connections. "
            + "SIGTERM or SIGINT lets requests in flight finish, then stops."
    )

    /// How long requests in flight get after SIGTERM; below the systemd unit's TimeoutStopSec (35 s).
    static let shutdownGrace: Duration = .seconds(25)

    @Option(help: "Address to bind (default: API_HOST, 0.0.0.0).")
    var host: String?
    @Option(help: "Port to bind; 0 picks a free one (default: API_PORT, 8000).")
    var port: Int?
    @Option(help: "Queue name (default: RAGQ_QUEUE, default).")
    var queue: String?

    func run() async throws {
        let configuration = try CommandSupport.configuration { configuration in
            if let queue { configuration.queue.name = queue }
        }
        var api = try CommandSupport.apiConfiguration()
        if let host { api.host = host }
        if let port { api.port = port }
        let logger = CommandSupport.logger("ragserve.api", configuration)
        let tracing = try CommandSupport.tracing("ragserve-api", logger: logger)
        let application: APIApplication
        do {
            application = try APIApplication(
                configuration: configuration, api: api, logger: logger, onServerRunning: CommandSupport.announce("API_URL", host: api.host)
            )
        } catch {
            throw CommandSupport.fail(error)
        }
        do {
            if let warning = try await application.store.checkDurability() { logger.warning("\(warning)") }
        } catch where error.isBackendUnavailable {
            logger.warning("durability not checked: Valkey does not answer yet", metadata: ["error": "\(error.message)"])
        } catch {
            application.close()
            throw CommandSupport.fail(error)
        }
        logger.info("api starting", metadata: ["valkey": "\(application.store.redactedURL)", "api.keys": "\(api.apiKeys.count)"])
        try await CommandSupport.run(
            tracing + application.services, logger: logger, maximumShutdown: Self.shutdownGrace, listening: [(api.host, api.port)]
        ) { application.close() }
    }
}
