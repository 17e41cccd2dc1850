import FakeBackends
import NIOHTTP1
import RAGQueue

/// Requests per second the fake OpenAI and Qdrant servers serve at zero latency, so a simulation
/// knows they are never its bottleneck: both fakes in-process, driven over keep-alive HTTP/1.1
/// connections from the same process.
public struct FakesBenchmark: Sendable {
    /// What to measure.
    public struct Options: Sendable {
        /// How long each scenario runs.
        var duration: Duration
        /// Concurrent keep-alive connections per scenario.
        var connections: Int
        /// Points in the collection the query scenario searches.
        var points: Int
        /// Dimensions of the embeddings and of the points.
        var dimensions: Int
        /// Runs only the scenarios whose name starts with this (embeddings, chat, query); nil: all.
        var only: String?

        /// Options with every value given.
        public init(duration: Duration, connections: Int, points: Int, dimensions: Int, only: String?) {
            self.duration = duration
            self.connections = connections
            self.points = points
            self.dimensions = dimensions
            self.only = only
        }
    }

    let options: Options

    /// A benchmark configured by `options`.
    public init(options: Options) {
        self.options = options
    }

    /// Starts both fakes, runs every chosen scenario and prints one row each.
    public func run() async throws {
        let openAI = FakeOpenAIServer(configuration: .init(embeddingModels: ["text-embedding-3-small": options.dimensions]))
        let qdrant = FakeQdrantServer()
        try await openAI.start()
        try await qdrant.start()
        do {
            if options.only.map({ "query".hasPrefix($0) }) ?? true {
                Console.line("Loading \(options.points) points of \(options.dimensions) dimensions…")
                try await loadPoints(port: qdrant.port)
            }
            let chunk = Array(repeating: "The router keeps its settings until the reset button is held for ten seconds.", count: 4)
                .joined(separator: " ")
            let context = (1...4).map { "Page Content: \(chunk)\nPage Number: \($0)\nFile Location: manual.pdf" }
                .joined(separator: "\n\n---\n\n")
            let system = "You are a helpful assistant. Answer only from the context.\\nContext:\\n" + context.replacingNewlines()
            let chatBody = #"{"model":"gpt-4.1","messages":[{"role":"system","content":"\#(system)"},{"role":"user","content":"How do I reset the router?"}]}"#
            let streamBody = chatBody.dropLast() + #","stream":true,"stream_options":{"include_usage":true}}"#
            let queries = (0..<8).map { index -> String in
                #"{"query":{"nearest":\#(Self.vectorText(seed: UInt64(1_000_000 + index), dimensions: options.dimensions))},"limit":4,"with_payload":true}"#
            }
            let scenarios: [(String, Int, String, [String])] = [
                ("embeddings, 1 input, base64", openAI.port, "/v1/embeddings",
                 [#"{"model":"text-embedding-3-small","input":"\#(chunk)","encoding_format":"base64"}"#]),
                ("embeddings, 1 input, float", openAI.port, "/v1/embeddings",
                 [#"{"model":"text-embedding-3-small","input":"\#(chunk)","encoding_format":"float"}"#]),
                ("chat, RAG prompt", openAI.port, "/v1/chat/completions", [chatBody]),
                ("chat, RAG prompt, streamed", openAI.port, "/v1/chat/completions", [String(streamBody)]),
                ("query, top 4 of \(options.points)", qdrant.port, "/collections/bench/points/query", queries),
            ]
            Console.line("Each scenario: \(options.connections) connections for \(options.duration.seconds) s, client in the same process.\n")
            Console.line("scenario                              requests     req/s   p50 ms   p99 ms  errors")
            for (name, port, path, bodies) in scenarios where options.only.map({ name.hasPrefix($0) }) ?? true {
                let result = try await LoadRun.run(
                    port: port, path: path, bodies: bodies, connections: options.connections, duration: options.duration)
                Console.line(result.line(name))
            }
        } catch {
            await qdrant.stop()
            await openAI.stop()
            throw error
        }
        await qdrant.stop()
        await openAI.stop()
    }

    /// Creates the collection and upserts `points` seeded random vectors in batches.
    private func loadPoints(port: Int) async throws {
        let create = #"{"vectors":{"size":\#(options.dimensions),"distance":"Cosine"}}"#
        _ = try await LoadRun.single(port: port, method: .PUT, path: "/collections/bench", body: create)
        let batch = 250
        for start in stride(from: 0, to: options.points, by: batch) {
            let items = (start..<min(options.points, start + batch)).map { id in
                #"{"id":\#(id),"vector":\#(Self.vectorText(seed: UInt64(id), dimensions: options.dimensions)),"payload":{"page_content":"chunk \#(id)","metadata":{"page":\#(id % 300)}}}"#
            }
            let status = try await LoadRun.single(
                port: port, method: .PUT, path: "/collections/bench/points?wait=true", body: #"{"points":[\#(items.joined(separator: ","))]}"#)
            guard status == 200 else { throw SimulationError("upsert failed with status \(status)") }
        }
    }

    /// A seeded random vector as JSON text.
    static func vectorText(seed: UInt64, dimensions: Int) -> String {
        var random = SeededRandom(seed: seed)
        return "[" + (0..<dimensions).map { _ in Float(random.nextUnit() * 2 - 1).description }.joined(separator: ",") + "]"
    }
}

extension String {
    /// The text with newlines escaped for embedding in a JSON string literal.
    fileprivate func replacingNewlines() -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n")
    }
}
