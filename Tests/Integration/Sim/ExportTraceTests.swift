import Foundation
import Testing
@testable import RAGQueue
import RAGQueueTestSupport

/// `ragserve export-trace` on a real Valkey, and ragsim replaying what it wrote.
@Suite("ragserve export-trace", .timeLimit(.minutes(2)))
struct ExportTraceTests {
    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(JobID().rawValue.prefix(6))").path
    }

    @Test("the queries accepted in a range come out as a trace in creation order, with their fields; ragsim replays every one")
    func exportAndReplay() async throws {
        try await withQueue { queue in
            let before = Date()
            var queries: [(query: RAGQuery, tenant: String?)] = []
            for number in 0..<24 {
                var query = RAGQuery(query: "Question \(number) about honeybees", stream: number % 5 == 0, priority: number % 4 == 0 ? 2 : nil)
                if number % 3 == 0 { query.topK = 3 }
                if number == 7 { query.collection = "ragsim-corpus" }
                if number % 6 == 1 { query.cache = false }
                let tenant = number % 2 == 0 ? "acme" : "globex"
                _ = try await queue.store.enqueue(
                    EnqueueRequest(kind: RAGQuery.kind, payload: query.json, tenant: tenant, priority: query.priority ?? EnqueueRequest.defaultPriority)
                )
                queries.append((query, tenant))
            }
            // A job of another kind is not a query: it stays out of the trace.
            _ = try await queue.store.enqueue(EnqueueRequest(kind: "noop", payload: []))

            var environment = ProcessInfo.processInfo.environment
            environment["VALKEY_URL"] = queue.url
            environment["RAGQ_PREFIX"] = queue.configuration.prefix
            environment["RAGQ_QUEUE"] = queue.configuration.name
            let trace = temporaryPath("trace") + ".jsonl"
            defer { try? FileManager.default.removeItem(atPath: trace) }
            let since = ISO8601DateFormatter().string(from: before.addingTimeInterval(-1))
            let export = try await runProduct("ragserve", ["export-trace", "--since", since, "--output", trace], environment: environment)
            #expect(export.code == 0, "\(export.output)")
            #expect(export.output.hasPrefix("exported 24 queries created from \(since)"))

            let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
            let entries = try lines.map { try #require(try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)).objectValue) }
            #expect(entries.count == queries.count)
            // Creation order: the store's records by created_at (jobs of one millisecond by id).
            let records = try await queue.store.jobs(createdFrom: before.addingTimeInterval(-1), until: Date()).filter { $0.kind == RAGQuery.kind }
            let expected = try records.map { try RAGQuery(json: $0.payload).query }
            #expect(entries.compactMap { $0["question"]?.stringValue } == expected)
            let offsets = entries.compactMap { $0["offset"]?.doubleValue }
            #expect(offsets == offsets.sorted() && offsets.count == entries.count && (offsets.first ?? -1) >= 0.9)
            for entry in entries {
                let question = try #require(entry["question"]?.stringValue)
                let sent = try #require(queries.first { $0.query.query == question })
                #expect(entry["tenant"]?.stringValue == sent.tenant)
                #expect(entry["top_k"]?.intValue == sent.query.topK)
                #expect(entry["stream"]?.boolValue == (sent.query.stream ? true : nil))
                #expect(entry["priority"]?.intValue == sent.query.priority)
                #expect(entry["collection"]?.stringValue == sent.query.collection)
                #expect(entry["cache"]?.boolValue == sent.query.cache)
            }

            // ragsim replays the trace whole: every line sent, in one measured window.
            let report = temporaryPath("report") + ".json"
            defer { try? FileManager.default.removeItem(atPath: report) }
            let replay = try await runProduct(
                "ragsim",
                ["--trace", trace, "--workers", "1", "--profile", "zero", "--warmup", "0", "--drain", "20", "--tenant", "acme", "--tenant", "globex", "--json", report]
            )
            #expect(replay.code == 0, "\(replay.output)")
            let written = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
            #expect(written["steps"]?.arrayValue?.first?["submitted"]?.intValue == queries.count)
            #expect(written["steps"]?.arrayValue?.first?["finished"]?.intValue == queries.count)
        }
    }

    @Test("a time that is neither ISO 8601 nor an age is refused in one line, before Valkey is reached")
    func badTime() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["VALKEY_URL"] = "valkey://127.0.0.1:1"
        let result = try await runProduct("ragserve", ["export-trace", "--since", "yesterday"], environment: environment)
        #expect(result.code != 0)
        #expect(result.output.contains("--since must be an ISO 8601 time such as 2026-12-01T09:00:00Z or an age such as 30m, 2h or 1d, got 'yesterday'"))
    }
}
