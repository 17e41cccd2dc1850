/// Why a file could not be ingested: one line for a person.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String
    /// True when the file's content is not what its name says (binary, not a PDF): the ingester
    /// skips such a file and goes on with the others.
    public let isNotText: Bool

    /// An error with this text.
    public init(_ description: String) {
        self.description = description
        isNotText = false
    }

    private init(notText description: String) {
        self.description = description
        isNotText = true
    }

    /// `path`'s content is not text (or not a PDF), for `reason`.
    public static func notText(_ path: String, _ reason: String) -> IngestError {
        IngestError(notText: "\(path): \(reason); skipped")
    }
}
