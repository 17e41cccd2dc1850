/// Why a simulation cannot run or did not pass: one line for a person.
public struct SimulationError: Error, CustomStringConvertible {
    /// The message, without a `ragsim:` prefix.
    public let description: String

    /// An error saying `description`.
    init(_ description: String) {
        self.description = description
    }
}
