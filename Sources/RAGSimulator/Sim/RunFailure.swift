/// A simulation or benchmark that ended without success: one line for a person and the exit
/// status it calls for. The command line prints the line after its own name.
public struct RunFailure: Error, CustomStringConvertible {
    /// The message, without a `ragsim:` prefix.
    public let description: String
    /// The process's exit status: 1, or 130 when SIGINT or SIGTERM stopped the run.
    public let exitStatus: Int32

    /// A failure saying `description`, exiting with `exitStatus`.
    init(_ description: String, exitStatus: Int32 = 1) {
        self.description = description
        self.exitStatus = exitStatus
    }
}

extension RunFailure {
    /// Runs `body`; any error it throws becomes a failure saying that error, with exit status 1.
    static func failing<T>(_ body: () throws -> T) throws(RunFailure) -> T {
        do {
            return try body()
        } catch {
            throw RunFailure("\(error)")
        }
    }
}
