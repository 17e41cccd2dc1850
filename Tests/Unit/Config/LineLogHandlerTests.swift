import Foundation
import Logging
import Synchronization
import Testing

@testable import RAGQueue

/// `LOG_FORMAT`: the lines a log pipeline (json) or a person (text) reads.
@Suite("log lines")
struct LineLogHandlerTests {
    /// Lines written by a handler, kept for the test.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    static func logger(_ format: LogFormat, into lines: Lines) -> Logger {
        Logger(label: "ragserve.test") { label in LineLogHandler(label: label, format: format, level: .info, write: lines.append) }
    }

    @Test("json: one object per line, with a millisecond UTC timestamp, typed metadata, and secrets redacted")
    func json() throws {
        let lines = Lines()
        var logger = Self.logger(.json, into: lines)
        logger[metadataKey: "request.id"] = "r-1"
        logger.debug("not written below the level")
        logger.info("job ended\nwith \"quotes\"", metadata: [
            "duration_ms": .stringConvertible(42), "ratio": .stringConvertible(0.5), "done": .stringConvertible(true),
            "OPENAI_API_KEY": "sk-live-secret", "authorization": "Bearer sk-live-secret", "msg": "shadowed",
            "sources": .array(["a", "b"]), "nested": .dictionary(["k": "v"]),
        ])
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.dropLast().contains("\n") == false, "one line: \(line)")
        #expect(!line.contains("sk-live-secret"))
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
        let timestamp = try #require(object["ts"]?.stringValue)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(timestamp)")
        #expect(object["level"] == "info" && object["logger"] == "ragserve.test")
        #expect(object["msg"] == .string("job ended\nwith \"quotes\""), "the message wins over metadata of its name")
        #expect(object["request.id"] == "r-1" && object["duration_ms"] == .integer(42) && object["ratio"] == .number(0.5) && object["done"] == .bool(true))
        #expect(object["OPENAI_API_KEY"] == "[redacted]" && object["authorization"] == "[redacted]")
        #expect(object["sources"] == .array(["a", "b"]) && object["nested"]?["k"] == "v")
    }

    @Test("text: timestamp, level, label, message, then key=value sorted; values with spaces quoted")
    func text() throws {
        let lines = Lines()
        Self.logger(.text, into: lines).warning("waiting for Valkey", metadata: ["error": "connection refused", "attempts": "3", "api_key": "k"])
        let line = try #require(lines.all.first)
        let expected = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning ragserve.test: waiting for Valkey api_key=\[redacted\] attempts=3 error="connection refused"\n/
        #expect(line.wholeMatch(of: expected) != nil, "\(line)")
    }

    @Test("timestamps are UTC to the millisecond")
    func timestamp() {
        #expect(LineLogHandler.timestamp(Date(timeIntervalSince1970: 1_764_629_820.123)) == "2025-12-01T22:57:00.123Z")
        #expect(LineLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}
