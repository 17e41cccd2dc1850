/// Why a file could not be ingested: one line for a person.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String

    /// An error with this text.
    public init(_ description: String) {
        self.description = description
    }
}
