import Crypto

/// A Lua script run by `EVALSHA`, falling back to `EVAL` when the server has not cached it
/// (after a restart, say).
public struct ValkeyScript: Sendable, Hashable {
    /// A short name for logs and metrics.
    public let name: String
    /// The Lua source.
    public let source: String
    /// SHA-1 of the source, as the server names it.
    public let sha1: String

    /// A script with its name and source.
    public init(name: String, source: String) {
        self.name = name
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The `EVALSHA` command for these keys and arguments.
    public func evalSHA(keys: [String], arguments: [any ValkeyArgument]) -> ValkeyCommand {
        ValkeyCommand("EVALSHA", [sha1, keys.count] + keys + arguments)
    }

    /// The `EVAL` command, which also loads the script into the server's cache.
    public func eval(keys: [String], arguments: [any ValkeyArgument]) -> ValkeyCommand {
        ValkeyCommand("EVAL", [source, keys.count] + keys + arguments)
    }
}
