import Foundation
import RAGQueue
import Testing
@testable import RAGSimulator

@Suite("ragsim query trace")
struct QueryTraceTests {
    @Test("lines parse into queries sorted by offset, blank lines skipped, options kept")
    func parses() throws {
        let text = """
            {"offset": 2.5, "question": "third", "top_k": 8, "stream": true}
            {"offset": 0, "question": "first", "collection": "docs"}

            {"offset": 1, "question": "second a"}
            {"offset": 1, "question": "second b", "collection": null, "cache": false}
            """
        let trace = try QueryTrace(text: text, source: "t.jsonl")
        #expect(trace.entries.map(\.question) == ["first", "second a", "second b", "third"])
        #expect(trace.entries.map(\.offset) == [.zero, .seconds(1), .seconds(1), .milliseconds(2500)])
        #expect(trace.entries[0].query(defaultCollection: "corpus") == RAGQuery(query: "first", collection: "docs"))
        #expect(trace.entries[1].query(defaultCollection: "corpus") == RAGQuery(query: "second a", collection: "corpus"))
        #expect(trace.entries[3].query(defaultCollection: "corpus") == RAGQuery(query: "third", collection: "corpus", topK: 8, stream: true))
        #expect(trace.entries[2].query(defaultCollection: "corpus") == RAGQuery(query: "second b", collection: "corpus", cache: false))
    }

    @Test("lines ending in CRLF parse like lines ending in LF")
    func crlf() throws {
        let trace = try QueryTrace(text: "{\"offset\": 1, \"question\": \"b\"}\r\n{\"offset\": 0, \"question\": \"a\"}\r\n", source: "t")
        #expect(trace.entries.map(\.question) == ["a", "b"])
    }

    @Test("a trace lasts to the whole second after its last query; its rate is queries over that")
    func lengthAndRate() throws {
        let lines = (0..<1200).map { #"{"offset": \#(Double($0) * 0.05), "question": "q"}"# }
        let trace = try QueryTrace(text: lines.joined(separator: "\n"), source: "t")
        #expect(trace.length == .seconds(60))
        #expect(abs(trace.rate - 20) < 1e-9)
        let single = try QueryTrace(text: #"{"offset": 0, "question": "q"}"#, source: "t")
        #expect(single.length == .seconds(1))
    }

    @Test("warm-up and window apply on the trace's clock")
    func windows() throws {
        let lines = (0..<10).map { #"{"offset": \#($0), "question": "q\#($0)"}"# }
        let trace = try QueryTrace(text: lines.joined(separator: "\n"), source: "t.jsonl")
        #expect(try trace.measuredLength(warmup: .seconds(3), duration: nil) == .seconds(7))
        #expect(try trace.measuredLength(warmup: .seconds(3), duration: .seconds(4)) == .seconds(4))
        #expect(trace.entries(before: .seconds(7)).map(\.question) == ["q0", "q1", "q2", "q3", "q4", "q5", "q6"])
        #expect {
            try trace.measuredLength(warmup: .seconds(10), duration: nil)
        } throws: { error in
            (error as? SimulationError)?.description.hasPrefix("--trace t.jsonl: no query at or after the --warmup of 10 s") == true
        }
    }

    @Test(
        "a bad line names the source and its line number",
        arguments: [
            (#"{"offset": 1, "question": "q"} trailing"#, "not valid JSON"),
            (#"[1, 2]"#, "not a JSON object"),
            (#"{"question": "q"}"#, #""offset" must be a number of seconds from 0 to 86400"#),
            (#"{"offset": -1, "question": "q"}"#, #""offset" must be a number"#),
            (#"{"offset": "1", "question": "q"}"#, #""offset" must be a number"#),
            (#"{"offset": 1}"#, #""question" must be a non-empty string"#),
            (#"{"offset": 1, "question": "  "}"#, #""question" must be a non-empty string"#),
            (#"{"offset": 1, "question": "q", "top_k": 0}"#, #""top_k" must be a whole number from 1 to 1000"#),
            (#"{"offset": 1, "question": "q", "top_k": 2.5}"#, #""top_k" must be a whole number"#),
            (#"{"offset": 1, "question": "q", "stream": "yes"}"#, #""stream" must be true or false"#),
            (#"{"offset": 1, "question": "q", "collection": 3}"#, #""collection" must be a non-empty string"#),
            (#"{"offset": 1, "question": "q", "topk": 3}"#, #"unknown key "topk""#),
            (#"{"offset": 1, "question": "q", "cache": 0}"#, #""cache" must be true or false"#),
        ]
    )
    func badLine(line: String, message: String) {
        let text = #"{"offset": 0, "question": "fine"}"# + "\n\n" + line + "\n"
        #expect {
            try QueryTrace(text: text, source: "bench/t.jsonl")
        } throws: { error in
            (error as? SimulationError)?.description.hasPrefix("bench/t.jsonl line 3: \(message)") == true
        }
    }

    @Test("a trace without queries, or a missing file, is refused")
    func emptyOrMissing() {
        #expect(throws: SimulationError.self) { try QueryTrace(text: "\n  \n", source: "t") }
        #expect(throws: SimulationError.self) { try QueryTrace.read(from: "/nonexistent/trace.jsonl") }
    }

    @Test("the example trace in bench/ parses")
    func example() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../bench/trace-example.jsonl").path
        let trace = try QueryTrace.read(from: path)
        #expect(trace.entries.count > 100)
    }
}
