import ArgumentParser
import Foundation
import Logging
import RAGQueue
import RAGQueueAPI
import ServiceLifecycle
import UnixSignals

/// What every subcommand does first and last: read the environment, set up logging, run the
/// services until a signal, fail in one line.
enum CommandSupport {
    /// The configuration from the process environment, with `adjust` applied and validated.
    static func configuration(_ adjust: (inout RAGQueueConfiguration) -> Void = { _ in }) throws -> RAGQueueConfiguration {
        do {
            var configuration = try RAGQueueConfiguration(environment: ProcessInfo.processInfo.environment)
            adjust(&configuration)
            try configuration.validate()
            return configuration
        } catch {
            throw fail(error)
        }
    }

    /// The API's configuration from the process environment, key file read and validated.
    static func apiConfiguration() throws -> APIConfiguration {
        do {
            return try APIConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw fail(error)
        }
    }

    /// The queue's store for a command that reads or writes a little and exits: it waits at most
    /// 5 s for an unreachable Valkey.
    static func queueStore(_ configuration: RAGQueueConfiguration) throws -> ValkeyJobStore {
        try ValkeyJobStore(url: configuration.valkeyURL, configuration: configuration.queue, serverWait: .seconds(5))
    }

    /// Logs to standard error at the configured level and format (`LOG_LEVEL`, `LOG_FORMAT`); call
    /// once per process.
    static func logger(_ label: String, _ configuration: RAGQueueConfiguration) -> Logger {
        let level = configuration.logLevel
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, level: level) }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Runs `services` in a group until SIGTERM or SIGINT, then `close`; a failure exits non-zero
    /// with one line, which names the address when one of `listening` could not be bound.
    static func run(
        _ services: [any Service], logger: Logger, maximumShutdown: Duration? = nil, listening: [(host: String, port: Int)] = [],
        close: () async -> Void
    ) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        // Long polls and event streams would hold a graceful shutdown open; past this they are cut.
        configuration.maximumGracefulShutdownDuration = maximumShutdown
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await close()
            if let line = listening.lazy.compactMap({ ListenFailure.message(for: error, host: $0.host, port: $0.port) }).first {
                throw fail(CommandFailure(line))
            }
            throw fail(error)
        }
        await close()
    }

    /// The span exporter of this process when the `OTEL_*` variables ask for tracing (its tracer
    /// bootstrapped), to run first among the services; none when tracing is off.
    static func tracing(_ serviceName: String, logger: Logger) throws -> [any Service] {
        do {
            return try OTLPExporter.bootstrap(environment: ProcessInfo.processInfo.environment, serviceName: serviceName, logger: logger)
                .map { [$0] } ?? []
        } catch {
            throw fail(error)
        }
    }

    /// Prints `<variable>=http://<host>:<port><path>` on standard output once a server listens: one
    /// line for scripts that start it on port 0 and need its address (`0.0.0.0` shown as loopback).
    static func announce(_ variable: String, host: String, path: String = "") -> @Sendable (Int) async -> Void {
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        return { port in FileHandle.standardOutput.write(Data("\(variable)=http://\(shownHost):\(port)\(path)\n".utf8)) }
    }

    /// Prints `ragserve: <error>` on standard error and returns the exit code to throw.
    static func fail(_ error: any Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        let line = "ragserve: \(error)\n"
        FileHandle.standardError.write(Data(line.utf8))
        return ExitCode.failure
    }
}

/// A command's failure, said in one line (`CommandSupport.fail` prints it).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
