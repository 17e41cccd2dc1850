import ArgumentParser
import Foundation
import RAGSimulator

/// How every subcommand ends a run that failed in one line.
enum CommandSupport {
    /// Runs `body`; a `RunFailure` becomes one `<prefix>: <message>` line on standard error and its exit status.
    static func reportingFailures<T>(prefix: String = "ragsim", _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as RunFailure {
            throw exit(failure, prefix: prefix)
        }
    }

    /// Runs `body`; a `RunFailure` becomes one `<prefix>: <message>` line on standard error and its exit status.
    static func reportingFailures<T>(prefix: String = "ragsim", _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as RunFailure {
            throw exit(failure, prefix: prefix)
        }
    }

    /// Writes `failure`'s line on standard error; returns the exit code to throw.
    private static func exit(_ failure: RunFailure, prefix: String) -> ExitCode {
        FileHandle.standardError.write(Data("\(prefix): \(failure.description)\n".utf8))
        return ExitCode(failure.exitStatus)
    }

    /// `seconds` from the command line as a duration, to the millisecond.
    static func duration(seconds: Double) -> Duration {
        .milliseconds(Int64(seconds * 1000))
    }
}
