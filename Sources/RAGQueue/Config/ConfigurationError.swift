/// A setting that cannot be used, naming the environment variable (or option) to fix.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The variable or option at fault, e.g. `RAG_TOP_K`; nil when several are involved.
    public let setting: String?
    /// What is wrong and what is accepted; never contains a secret's value.
    public let message: String

    /// An error about `setting`.
    public init(setting: String?, _ message: String) {
        self.setting = setting
        self.message = message
    }

    /// `RAG_TOP_K: must be a whole number from 1 to 20, got "abc"`.
    public var description: String {
        guard let setting else { return message }
        return "\(setting): \(message)"
    }
}
