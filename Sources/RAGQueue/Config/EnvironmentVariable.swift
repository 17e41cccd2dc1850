/// One environment variable a configuration reads: its name, default and meaning, and how it is
/// applied to the configuration type `Root`.
public struct EnvironmentVariable<Root>: Sendable {
    /// The variable's name, e.g. `RAG_TOP_K`.
    public let name: String
    /// The default, as shown to people (`4`, `(none)`).
    public let defaultValue: String
    /// What it sets, one line.
    public let description: String
    /// Whether the value is a secret: never echoed in errors or logs.
    public let isSecret: Bool
    let apply: @Sendable (inout Root, String) throws -> Void

    /// A variable applied by `apply`, which throws a `ConfigurationError` naming it for a bad value.
    public init(
        _ name: String, _ defaultValue: String, _ description: String, secret: Bool = false,
        apply: @escaping @Sendable (inout Root, String) throws -> Void
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.description = description
        self.isSecret = secret
        self.apply = apply
    }
}

extension Array {
    /// Applies each variable set (and non-empty) in `environment` to `root`, in order; throws the
    /// first variable's error.
    public func apply<Root>(_ environment: [String: String], to root: inout Root) throws(ConfigurationError)
    where Element == EnvironmentVariable<Root> {
        for variable in self {
            guard let value = environment[variable.name], !value.isEmpty else { continue }
            do {
                try variable.apply(&root, value)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(setting: variable.name, "cannot be used: \(error)")
            }
        }
    }

    /// The variables as plain text for `--help`: name and default on one line, meaning below.
    public func help<Root>() -> String where Element == EnvironmentVariable<Root> {
        map { "  \($0.name) (default: \($0.defaultValue))\n      \($0.description)" }.joined(separator: "\n")
    }

    /// The variables as rows of the README's Markdown table.
    public func markdownRows<Root>() -> [String] where Element == EnvironmentVariable<Root> {
        map { "| `\($0.name)` | `\($0.defaultValue)` | \($0.description) |" }
    }
}

/// Value parsers that name the variable in their errors.
public enum Parse {
    /// A whole number within `range`.
    public static func integer(_ text: String, _ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(text.trimmingWhitespace), range.contains(value) else {
            throw ConfigurationError(setting: name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// Seconds, possibly fractional (`15`, `0.5`), within `range`.
    public static func duration(_ text: String, _ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Duration {
        guard let seconds = Double(text.trimmingWhitespace), seconds.isFinite, range.contains(seconds) else {
            throw ConfigurationError(
                setting: name, "must be a number of seconds from \(range.lowerBound.formatted) to \(range.upperBound.formatted), got \"\(text)\""
            )
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// A number within `range`.
    public static func number(_ text: String, _ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let value = Double(text.trimmingWhitespace), value.isFinite, range.contains(value) else {
            throw ConfigurationError(setting: name, "must be a number from \(range.lowerBound.formatted) to \(range.upperBound.formatted), got \"\(text)\"")
        }
        return value
    }

    /// An `http://` or `https://` URL with a host.
    public static func httpURL(_ text: String, _ name: String) throws(ConfigurationError) -> String {
        let value = String(text.trimmingWhitespace)
        let lower = value.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw ConfigurationError(setting: name, "must be an http:// or https:// URL, got \"\(text)\"")
        }
        let rest = value.drop(while: { $0 != ":" }).dropFirst(3)
        guard let first = rest.first, first != "/" else {
            throw ConfigurationError(setting: name, "must name a host, got \"\(text)\"")
        }
        return value
    }

    /// A switch: `on`, `true` or `1`, or `off`, `false` or `0`, in any case.
    public static func onOff(_ text: String, _ name: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "on", "true", "1": return true
        case "off", "false", "0": return false
        default: throw ConfigurationError(setting: name, "must be on or off, got \"\(text)\"")
        }
    }

    /// A comma-separated list, each item trimmed, empty items dropped.
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0.trimmingWhitespace) }.filter { !$0.isEmpty }
    }
}

extension Double {
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
