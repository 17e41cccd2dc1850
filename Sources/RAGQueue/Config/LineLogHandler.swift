import Foundation
import Logging
import Synchronization

/// How log lines are written: `text` for people at a terminal, `json` (one object a line) for a
/// log pipeline (`LOG_FORMAT`).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}

/// A log handler writing one line per event, in `LogFormat`, with a UTC timestamp to the
/// millisecond, the level, the logger's label, the message and the metadata.
///
/// text: `2026-12-01T22:57:00.123Z info ragserve.api: request finished http.status=200 request.id=abc`
/// json: `{"ts":"2026-12-01T22:57:00.123Z","level":"info","logger":"ragserve.api","msg":"request finished","http.status":200,...}`
///
/// Metadata keys sit at the top level of a JSON line (the four fixed keys win over metadata of the
/// same name). A value under a key that names a secret (`api_key`, `authorization`, `password`,
/// `secret`, or ending in one of them) is written as `[redacted]`: keys are never logged, even by mistake.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private let write: @Sendable (String) -> Void

    /// A handler for `label` writing lines through `write` (standard error by default).
    public init(label: String, format: LogFormat, level: Logger.Level, write: @escaping @Sendable (String) -> Void = LineLogHandler.standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        write(Self.line(
            format: format, timestamp: Self.timestamp(Date()), level: event.level, label: label,
            message: event.message.description, metadata: merged
        ))
    }

    /// One line, ending in a newline.
    static func line(format: LogFormat, timestamp: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        let entries = metadata.sorted { $0.key < $1.key }.map { key, value in (key, redacted(key) ? .string(redactedValue) : value) }
        switch format {
        case .text:
            var line = "\(timestamp) \(level) \(label): \(message)"
            for (key, value) in entries {
                line += " \(key)=\(text(value))"
            }
            return line + "\n"
        case .json:
            var line = #"{"ts":"\#(timestamp)","level":"\#(level)","logger":\#(JSONValue.quoted(label)),"msg":\#(JSONValue.quoted(message))"#
            for (key, value) in entries where !fixedKeys.contains(key) {
                line += ",\(JSONValue.quoted(key)):\(json(value).description)"
            }
            return line + "}\n"
        }
    }

    /// Writes to standard error, each line whole (one `write` under a lock).
    public static let standardError: @Sendable (String) -> Void = { line in
        outputLock.withLock { _ in
            var line = line
            line.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Foundation.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }

    private static let outputLock = Mutex(())
    private static let fixedKeys: Set<String> = ["ts", "level", "logger", "msg"]
    private static let secretNames = ["api_key", "apikey", "authorization", "password", "secret"]
    private static let redactedValue = "[redacted]"

    /// Whether a metadata key names a secret.
    static func redacted(_ key: String) -> Bool {
        let key = key.lowercased()
        return secretNames.contains { key.hasSuffix($0) }
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC, the millisecond the event's time is in.
    static func timestamp(_ date: Date) -> String {
        ISOTimestamp.string(epochMilliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// A metadata value in the text format: strings as they are, unless they hold a space or a
    /// quote (then quoted); lists and dictionaries in brackets.
    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string):
            return string.contains(where: { $0 == " " || $0 == "\"" || $0 == "\n" }) ? JSONValue.quoted(string) : string
        case .stringConvertible(let convertible):
            return text(.string(convertible.description))
        case .array(let values):
            return "[" + values.map(text).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "[" + values.sorted { $0.key < $1.key }.map { "\($0.key): \(text($0.value))" }.joined(separator: ",") + "]"
        }
    }

    /// A metadata value as JSON: numbers and booleans given as such stay numbers and booleans.
    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string):
            return .string(string)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: return .integer(Int(truncatingIfNeeded: number))
            case let number as Double: return .number(number)
            case let flag as Bool: return .bool(flag)
            default: return .string(convertible.description)
            }
        case .array(let values):
            return .array(values.map(json))
        case .dictionary(let values):
            return .object(values.mapValues(json))
        }
    }
}
