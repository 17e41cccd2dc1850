import ArgumentParser
import Foundation
import Logging
import RAGQueue

/// What every subcommand does first: read the environment, set up logging, fail in one line.
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

    /// Logs to standard error at `level`; call once per process.
    static func logger(_ label: String, level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Prints `ragserve: <error>` on standard error and returns the exit code to throw.
    static func fail(_ error: any Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        let line = "ragserve: \(error)\n"
        FileHandle.standardError.write(Data(line.utf8))
        return ExitCode.failure
    }
}
