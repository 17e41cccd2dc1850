/// A value that can travel as one binary-safe argument of a Valkey command.
public protocol ValkeyArgument {
    /// The argument's bytes on the wire.
    var valkeyBytes: [UInt8] { get }
}

extension String: ValkeyArgument {
    public var valkeyBytes: [UInt8] { Array(utf8) }
}

extension Substring: ValkeyArgument {
    public var valkeyBytes: [UInt8] { Array(utf8) }
}

extension Int: ValkeyArgument {
    public var valkeyBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int64: ValkeyArgument {
    public var valkeyBytes: [UInt8] { Array(String(self).utf8) }
}

extension Double: ValkeyArgument {
    public var valkeyBytes: [UInt8] { Array(String(self).utf8) }
}

extension Array: ValkeyArgument where Element == UInt8 {
    public var valkeyBytes: [UInt8] { self }
}

/// One command: its name and arguments as binary-safe byte strings.
public struct ValkeyCommand: Sendable, Hashable {
    /// The name first, then each argument.
    public var arguments: [[UInt8]]

    /// A command from its name and arguments: `ValkeyCommand("HGET", key, field)`.
    public init(_ name: String, _ arguments: any ValkeyArgument...) {
        self.init(name, arguments)
    }

    /// A command from its name and an array of arguments.
    public init(_ name: String, _ arguments: [any ValkeyArgument]) {
        self.arguments = [Array(name.utf8)] + arguments.map(\.valkeyBytes)
    }
}
