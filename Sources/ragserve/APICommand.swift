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
        abstract: "Serve the HTTP API: submit questions, read status and answers, stream events."
    )

    @Option(help: "Address to bind (default: API_HOST or 0.0.0.0).")
    var host: String?
    @Option(help: "Port to bind; 0 picks a free one (default: API_PORT or 8000).")
    var port: Int?
    @Option(help: "Valkey URL (default: VALKEY_URL or valkey://127.0.0.1:6379).")
    var valkeyURL: String?
    @Option(help: "Queue key prefix (default: RAGQ_PREFIX or ragq).")
    var prefix: String?
    @Option(help: "Queue name (default: RAGQ_QUEUE or default).")
    var queue: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "ragserve.api")
        logger.logLevel = Logger.Level(rawValue: logLevel ?? environment["LOG_LEVEL"] ?? "info") ?? .info

        var configuration: APIConfiguration
        do {
            configuration = try APIConfiguration.fromEnvironment(environment)
        } catch {
            throw ValidationError(error.message)
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }

        let client = try ValkeyClient(url: valkeyURL ?? environment["VALKEY_URL"] ?? "valkey://127.0.0.1:6379")
        var queueConfiguration = QueueConfiguration()
        if let prefix = prefix ?? environment["RAGQ_PREFIX"] { queueConfiguration.prefix = prefix }
        if let queue = queue ?? environment["RAGQ_QUEUE"] { queueConfiguration.name = queue }
        let store = try ValkeyJobStore(client: client, configuration: queueConfiguration)
        let events = JobEvents(configuration: client.configuration, keys: try queueConfiguration.keys())
        await events.start()
        let httpClient = try CurlHTTPClient(logger: logger)
        let shownHost = configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host
        let app = try buildAPIApplication(
            store: store, events: events, valkey: client, queue: queueConfiguration, configuration: configuration,
            logger: logger, httpClient: httpClient,
            onServerRunning: { port in
                // One line for scripts that start the API on port 0 and need its address.
                FileHandle.standardOutput.write(Data("API_URL=http://\(shownHost):\(port)\n".utf8))
            }
        )
        logger.info("api starting", metadata: [
            "valkey": "\(client.configuration.redactedDescription)", "keys": "\(configuration.apiKeys.count)",
        ])
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: httpClient), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
        events.close()
        client.close()
    }
}
