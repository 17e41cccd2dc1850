import ArgumentParser
import FakeBackends
import NIOCore
import NIOHTTP1
import NIOPosix

/// `ragsim bench-fakes`: requests per second the fakes serve at zero latency, so a simulation
/// knows they are never its bottleneck.
struct BenchFakesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-fakes",
        abstract: "Measure requests per second of the fake OpenAI and Qdrant servers at zero latency.",
        discussion: """
            Runs both fakes in-process with no latency, faults or limits, and drives each scenario \
            over keep-alive HTTP/1.1 connections from the same process (so client and server share \
            the machine's cores): embeddings of 1,536 dimensions (base64 and float), chat (plain \
            and streamed), and a query over --points points of 1,536 dimensions.
            """
    )

    @Option(help: "Seconds each scenario runs.")
    var duration = 5.0

    @Option(help: "Concurrent keep-alive connections per scenario.")
    var connections = 16

    @Option(help: "Points in the collection the query scenario searches.")
    var points = 10_000

    @Option(help: "Dimensions of the embeddings and of the points.")
    var dimensions = 1536

    @Option(help: "Run only the scenarios whose name starts with this (embeddings, chat, query).")
    var only: String?

    func validate() throws {
        guard duration > 0, connections > 0, points > 0, dimensions > 0 else {
            throw ValidationError("duration, connections, points and dimensions must be positive")
        }
    }

    func run() async throws {
        let openAI = FakeOpenAIServer(configuration: .init(embeddingModels: ["text-embedding-3-small": dimensions]))
        let qdrant = FakeQdrantServer()
        try await openAI.start()
        try await qdrant.start()
        do {
            if only.map({ "query".hasPrefix($0) }) ?? true {
                print("Loading \(points) points of \(dimensions) dimensions…")
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
                #"{"query":{"nearest":\#(Self.vectorText(seed: UInt64(1_000_000 + index), dimensions: dimensions))},"limit":4,"with_payload":true}"#
            }
            let scenarios: [(String, Int, String, [String])] = [
                ("embeddings, 1 input, base64", openAI.port, "/v1/embeddings",
                 [#"{"model":"text-embedding-3-small","input":"\#(chunk)","encoding_format":"base64"}"#]),
                ("embeddings, 1 input, float", openAI.port, "/v1/embeddings",
                 [#"{"model":"text-embedding-3-small","input":"\#(chunk)","encoding_format":"float"}"#]),
                ("chat, RAG prompt", openAI.port, "/v1/chat/completions", [chatBody]),
                ("chat, RAG prompt, streamed", openAI.port, "/v1/chat/completions", [String(streamBody)]),
                ("query, top 4 of \(points)", qdrant.port, "/collections/bench/points/query", queries),
            ]
            print("Each scenario: \(connections) connections for \(duration) s, client in the same process.\n")
            print("scenario                              requests     req/s   p50 ms   p99 ms  errors")
            for (name, port, path, bodies) in scenarios where only.map({ name.hasPrefix($0) }) ?? true {
                let result = try await LoadRun.run(
                    port: port, path: path, bodies: bodies, connections: connections, duration: .milliseconds(Int64(duration * 1000)))
                print(result.line(name))
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
        let create = #"{"vectors":{"size":\#(dimensions),"distance":"Cosine"}}"#
        _ = try await LoadRun.single(port: port, method: .PUT, path: "/collections/bench", body: create)
        let batch = 250
        for start in stride(from: 0, to: points, by: batch) {
            let items = (start..<min(points, start + batch)).map { id in
                #"{"id":\#(id),"vector":\#(Self.vectorText(seed: UInt64(id), dimensions: dimensions)),"payload":{"page_content":"chunk \#(id)","metadata":{"page":\#(id % 300)}}}"#
            }
            let status = try await LoadRun.single(
                port: port, method: .PUT, path: "/collections/bench/points?wait=true", body: #"{"points":[\#(items.joined(separator: ","))]}"#)
            guard status == 200 else { throw ValidationError("upsert failed with status \(status)") }
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

/// A closed-loop HTTP/1.1 load run: each connection sends its next request as soon as the last
/// answer has fully arrived, until the deadline.
struct LoadRun {
    var requests = 0
    var errors = 0
    var elapsed: Duration = .zero
    var latencies: [Duration] = []

    /// One summary line: requests, requests per second, p50 and p99 latency, errors.
    func line(_ name: String) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            let ms = Double(value.components.seconds) * 1000 + Double(value.components.attoseconds) * 1e-15
            return String(Int((ms * 10).rounded())).paddedDecimal
        }
        let rate = seconds > 0 ? Int((Double(requests) / seconds).rounded()) : 0
        return name.padding(36) + String(requests).leftPadded(10) + String(rate).leftPadded(10)
            + percentile(0.5).leftPadded(9) + percentile(0.99).leftPadded(9) + String(errors).leftPadded(8)
    }

    /// Runs `connections` keep-alive connections against 127.0.0.1:`port` for `duration`.
    static func run(port: Int, path: String, bodies: [String], connections: Int, duration: Duration) async throws -> LoadRun {
        let buffers = bodies.map { ByteBuffer(string: $0) }
        let started = ContinuousClock.now
        let deadline = started + duration
        var total = LoadRun()
        try await withThrowingTaskGroup(of: LoadRun.self) { group in
            for connection in 0..<connections {
                group.addTask {
                    var run = LoadRun()
                    try await withConnection(port: port) { inbound, outbound in
                        var index = connection
                        while ContinuousClock.now < deadline {
                            let sent = ContinuousClock.now
                            let status = try await exchange(
                                inbound: &inbound, outbound: outbound, method: .POST, path: path, body: buffers[index % buffers.count])
                            run.latencies.append(ContinuousClock.now - sent)
                            if status == 200 { run.requests += 1 } else { run.errors += 1 }
                            index += connections
                        }
                    }
                    return run
                }
            }
            for try await run in group {
                total.requests += run.requests
                total.errors += run.errors
                total.latencies += run.latencies
            }
        }
        total.elapsed = ContinuousClock.now - started
        return total
    }

    /// Sends one request on a fresh connection and returns the status.
    static func single(port: Int, method: HTTPMethod, path: String, body: String) async throws -> Int {
        var status = 0
        try await withConnection(port: port) { inbound, outbound in
            status = try await exchange(inbound: &inbound, outbound: outbound, method: method, path: path, body: ByteBuffer(string: body))
        }
        return status
    }

    typealias Inbound = NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    private static func withConnection(port: Int, _ body: (inout Inbound, Outbound) async throws -> Void) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            try await body(&iterator, outbound)
        }
    }

    private static func exchange(
        inbound: inout Inbound, outbound: Outbound, method: HTTPMethod, path: String, body: ByteBuffer
    ) async throws -> Int {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Authorization", value: "Bearer sk-bench")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(body)), .end(nil)])
        var status = 0
        while let part = try await inbound.next() {
            switch part {
            case .head(let responseHead): status = Int(responseHead.status.code)
            case .body: continue
            case .end: return status
            }
        }
        return status
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// Tenths as a decimal: "123" → "12.3".
    fileprivate var paddedDecimal: String {
        let digits = count < 2 ? String(repeating: "0", count: 2 - count) + self : self
        return String(digits.dropLast()) + "." + String(digits.suffix(1))
    }
}
