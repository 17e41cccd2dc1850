import Foundation
import RAGQueue

/// Traffic replayed by `--trace FILE` instead of generated arrivals: JSON lines, one query each,
/// `{"offset": seconds, "question": "...", "collection"?: "...", "top_k"?: n, "stream"?: bool,
/// "tenant"?: "...", "priority"?: n, "cache"?: bool}` (a tenant must be one of the run's `--tenant`s;
/// `"cache": false` asks for a fresh answer when the run turns the answer cache on).
///
/// Offsets count from the start of a step and need not be in order: the trace is sorted by them
/// (queries with the same offset keep their order). Blank lines are skipped; lines may end in LF or CRLF.
struct QueryTrace: Sendable, Hashable {
    /// One query of the trace.
    struct Entry: Sendable, Hashable {
        /// When to send it, from the start of the step.
        var offset: Duration
        var question: String
        /// The collection to search; nil means the simulation's corpus collection.
        var collection: String?
        /// Chunks in the prompt; nil means the API's default.
        var topK: Int?
        /// Whether the worker streams the answer's tokens; nil means no.
        var stream: Bool?
        /// The tenant that sends it; nil means the first `--tenant`, or none.
        var tenant: String?
        /// Its priority; nil means the default.
        var priority: Int?
        /// Whether the answer cache may answer it; nil means yes.
        var cache: Bool?

        /// The query to submit, searching `collection` unless the entry names its own.
        func query(defaultCollection collection: String) -> RAGQuery {
            var query = RAGQuery(query: question, collection: self.collection ?? collection, stream: stream ?? false, priority: priority)
            if let topK { query.topK = topK }
            query.cache = cache
            return query
        }
    }

    /// Where the trace came from, for messages and the scenario record.
    let source: String
    /// The queries, by ascending offset.
    let entries: [Entry]

    /// How long the trace lasts: up to the whole second after its last offset, so every offset lies
    /// inside it (a trace written at 20/s for 60 s, offsets 0 to 59.95, lasts 60 s).
    var length: Duration {
        .seconds((entries.last?.offset.seconds ?? 0).rounded(.down) + 1)
    }

    /// Queries offered per second: entries over the length.
    var rate: Double {
        Double(entries.count) / length.seconds
    }

    /// Keys a line may have.
    static let keys = ["offset", "question", "collection", "top_k", "stream", "tenant", "priority", "cache"]
    /// Largest offset accepted, seconds (a day).
    static let maximumOffset = 86_400.0

    /// Parses the lines of `text`; errors name `source` and the line number.
    init(text: String, source: String) throws(SimulationError) {
        var numbered: [(line: Int, entry: Entry)] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            do {
                numbered.append((index + 1, try Self.entry(trimmed)))
            } catch {
                throw SimulationError("\(source) line \(index + 1): \(error.description)")
            }
        }
        guard !numbered.isEmpty else { throw SimulationError("\(source) has no queries (one JSON object per line)") }
        self.source = source
        entries = numbered.sorted { ($0.entry.offset, $0.line) < ($1.entry.offset, $1.line) }.map(\.entry)
    }

    /// Reads and parses the file at `path`.
    static func read(from path: String) throws(SimulationError) -> QueryTrace {
        guard let data = FileManager.default.contents(atPath: path) else { throw SimulationError("--trace \(path): no such readable file") }
        guard let text = String(data: data, encoding: .utf8) else { throw SimulationError("--trace \(path): not UTF-8 text") }
        return try QueryTrace(text: text, source: path)
    }

    /// How long a step measures after `warmup`: `duration` when given, else the rest of the trace.
    /// Throws when the warm-up leaves no query to measure.
    func measuredLength(warmup: Duration, duration: Duration?) throws(SimulationError) -> Duration {
        guard entries.contains(where: { $0.offset >= warmup }) else {
            throw SimulationError(
                "--trace \(source): no query at or after the --warmup of \(Simulation.number(warmup.seconds)) s "
                    + "(the last is at \(Simulation.number(entries.last?.offset.seconds ?? 0)) s)"
            )
        }
        return duration ?? length - warmup
    }

    /// The queries a step sends: those before `end`, an offset from the start of the step.
    func entries(before end: Duration) -> [Entry] {
        entries.filter { $0.offset < end }
    }

    private static func entry(_ line: String) throws(SimulationError) -> Entry {
        guard let value = try? JSONValue(parsing: line.utf8) else { throw SimulationError("not valid JSON") }
        guard let fields = value.objectValue else { throw SimulationError("not a JSON object") }
        if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) }) {
            throw SimulationError("unknown key \"\(unknown)\" (a line has \(keys.map { "\"\($0)\"" }.joined(separator: ", ")))")
        }
        guard let offset = fields["offset"]?.doubleValue, offset.isFinite, (0...maximumOffset).contains(offset) else {
            throw SimulationError("\"offset\" must be a number of seconds from 0 to \(Int(maximumOffset))")
        }
        guard let question = fields["question"]?.stringValue, !question.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SimulationError("\"question\" must be a non-empty string")
        }
        var entry = Entry(offset: .nanoseconds(Int64((offset * 1e9).rounded())), question: question)
        if let value = fields["collection"], !value.isNull {
            guard let collection = value.stringValue, !collection.isEmpty else {
                throw SimulationError("\"collection\" must be a non-empty string")
            }
            entry.collection = collection
        }
        if let value = fields["top_k"], !value.isNull {
            guard let topK = value.intValue, (1...1000).contains(topK) else {
                throw SimulationError("\"top_k\" must be a whole number from 1 to 1000")
            }
            entry.topK = topK
        }
        if let value = fields["stream"], !value.isNull {
            guard let stream = value.boolValue else { throw SimulationError("\"stream\" must be true or false") }
            entry.stream = stream
        }
        if let value = fields["tenant"], !value.isNull {
            guard let tenant = value.stringValue, !tenant.isEmpty else { throw SimulationError("\"tenant\" must be a non-empty string") }
            entry.tenant = tenant
        }
        if let value = fields["priority"], !value.isNull {
            guard let priority = value.intValue, QueryRules.priorities.contains(priority) else {
                throw SimulationError("\"priority\" must be a whole number from \(QueryRules.priorities.lowerBound) to \(QueryRules.priorities.upperBound)")
            }
            entry.priority = priority
        }
        if let value = fields["cache"], !value.isNull {
            guard let cache = value.boolValue else { throw SimulationError("\"cache\" must be true or false") }
            entry.cache = cache
        }
        return entry
    }
}
