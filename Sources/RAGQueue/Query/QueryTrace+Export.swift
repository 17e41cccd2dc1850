import Foundation

/// The accepted queries of a deployment as a trace that `ragsim --trace` replays: JSON lines of
/// `offset` (seconds from `since`), `question`, and where set `collection`, `top_k`, `stream`,
/// `tenant`, `priority` and `cache` (only `false`: a query that asked for a fresh answer). A query's `filter` has no place in a trace and its `callback_url` is
/// left out on purpose: a replay must not call the deployment's clients back.
public enum QueryTraceExport {
    /// One line per RAG query among `records` (other kinds are skipped), in their order (the
    /// store's `jobs(createdFrom:until:)` gives them oldest first).
    public static func lines(of records: [JobRecord], since start: Date) -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return records.filter { $0.kind == RAGQuery.kind }.compactMap { record in
            guard let query = try? RAGQuery(json: record.payload) else { return nil }
            var line: [String: JSONValue] = [
                "offset": .number((record.createdAt.timeIntervalSince(start) * 1000).rounded() / 1000),
                "question": .string(query.query),
            ]
            if let collection = query.collection { line["collection"] = .string(collection) }
            if let topK = query.topK { line["top_k"] = .integer(topK) }
            if query.stream { line["stream"] = .bool(true) }
            if query.cache == false { line["cache"] = .bool(false) }
            if let tenant = record.tenant { line["tenant"] = .string(tenant) }
            if record.priority != EnqueueRequest.defaultPriority { line["priority"] = .integer(record.priority) }
            return (try? encoder.encode(JSONValue.object(line))).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
