import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import RAGQueue

/// Requests a canned handler saw, for assertions after the call.
final class RequestLog: Sendable {
    struct Entry: Sendable {
        var path: String
        var headers: [String: String]
        var body: JSONValue?
    }

    private let entries = Mutex<[Entry]>([])

    func record(_ request: Request, body: ByteBuffer) {
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName.lowercased()] = field.value
        }
        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: body).utf8))
        self.entries.withLock { $0.append(Entry(path: request.uri.path, headers: headers, body: json)) }
    }

    var all: [Entry] { self.entries.withLock { $0 } }
}

func jsonResponse(_ text: String, status: HTTPResponse.Status = .ok, headers extra: [(String, String)] = []) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    for (name, value) in extra {
        if let name = HTTPField.Name(name) {
            headers[name] = value
        }
    }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}

func base64(_ values: [Float]) -> String {
    var bytes: [UInt8] = []
    for value in values {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }
    return Data(bytes).base64EncodedString()
}

extension ClientsTests {
    @Suite("OpenAI clients against canned handlers")
    struct OpenAIClientsTests {
        static let key = "sk-test-0123456789abcdef"

        @Test("embeddings are batched, authorised, decoded from base64 and put back in input order")
        func embeddings() async throws {
            let log = RequestLog()
            let router = Router(context: LoopbackRequestContext.self)
            router.post("v1/embeddings") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                log.record(request, body: body)
                let json = try JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: body).utf8))
                let inputs = json["input"]?.arrayValue?.compactMap(\.stringValue) ?? []
                // Answer in reverse order: the client must sort by index.
                let items = inputs.enumerated().reversed().map { index, text in
                    #"{"object":"embedding","index":\#(index),"embedding":"\#(base64([Float(text.count), 0.5]))"}"#
                }
                return jsonResponse(#"{"object":"list","data":[\#(items.joined(separator: ","))],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}"#)
            }
            let http = try CurlHTTPClient()
            try await withLoopbackServer(router) { base in
                var configuration = OpenAIEmbeddings.Configuration(model: "text-embedding-3-small")
                configuration.batchSize = 2
                let model = OpenAIEmbeddings(
                    endpoint: OpenAIEndpoint(apiKey: Self.key, baseURL: base + "/v1/"), configuration: configuration, httpClient: http
                )
                let vectors = try await model.embed(["a", "bb", "ccc", "dddd", "eeeee"])
                #expect(vectors == [[1, 0.5], [2, 0.5], [3, 0.5], [4, 0.5], [5, 0.5]])
                let requests = log.all
                #expect(requests.count == 3)
                #expect(requests.allSatisfy { $0.path == "/v1/embeddings" })
                #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer \(Self.key)" })
                #expect(requests.first?.body == ["model": "text-embedding-3-small", "input": ["a", "bb"], "encoding_format": "base64"])
                #expect(try await model.dimension() == 1536)
                #expect(try await model.embed([]) == [])
            }
            await http.shutdown()
        }

        @Test("a chat completion returns the answer, model, finish reason and usage")
        func complete() async throws {
            let log = RequestLog()
            let router = Router(context: LoopbackRequestContext.self)
            router.post("v1/chat/completions") { request, _ -> Response in
                log.record(request, body: try await request.body.collect(upTo: 1 << 20))
                return jsonResponse(
                    #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4.1","choices":[{"index":0,"message":{"role":"assistant","content":"See page 3.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":4,"total_tokens":24}}"#
                )
            }
            let http = try CurlHTTPClient()
            try await withLoopbackServer(router) { base in
                let model = OpenAIChatModel(
                    endpoint: OpenAIEndpoint(apiKey: Self.key, baseURL: base + "/v1"), configuration: .init(model: "gpt-4.1"),
                    httpClient: http
                )
                let completion = try await model.complete([.system("Use the context."), .user("Where?")])
                #expect(completion == ChatCompletion(text: "See page 3.", model: "gpt-4.1", finishReason: .stop, usage: TokenUsage(promptTokens: 20, completionTokens: 4, totalTokens: 24)))
                #expect(log.all.first?.body?["messages"] == [["role": "system", "content": "Use the context."], ["role": "user", "content": "Where?"]])
            }
            await http.shutdown()
        }

        @Test("a streamed chat yields deltas, then one completed event with the joined text and usage")
        func stream() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.post("v1/chat/completions") { request, _ -> Response in
                _ = try await request.body.collect(upTo: 1 << 20)
                let head = #""id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1""#
                let events = [
                    #"{\#(head),"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
                    #"{\#(head),"choices":[{"index":0,"delta":{"content":"Fake "},"finish_reason":null}],"usage":null}"#,
                    #"{\#(head),"choices":[{"index":0,"delta":{"content":"answer"},"finish_reason":null}],"usage":null}"#,
                    #"{\#(head),"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
                    #"{\#(head),"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#,
                    "[DONE]",
                ]
                var headers = HTTPFields()
                headers[.contentType] = "text/event-stream; charset=utf-8"
                return Response(
                    status: .ok,
                    headers: headers,
                    body: ResponseBody { writer in
                        for event in events {
                            try await writer.write(ByteBuffer(string: "data: \(event)\r\n\r\n"))
                        }
                        try await writer.finish(nil)
                    }
                )
            }
            let http = try CurlHTTPClient()
            try await withLoopbackServer(router) { base in
                let model = OpenAIChatModel(endpoint: OpenAIEndpoint(apiKey: Self.key, baseURL: base + "/v1"), httpClient: http)
                var received: [ChatStreamEvent] = []
                for try await event in try await model.streamCompletion([.user("q")]) {
                    received.append(event)
                }
                #expect(
                    received == [
                        .delta("Fake "), .delta("answer"),
                        .completed(ChatCompletion(text: "Fake answer", model: "gpt-4.1", finishReason: .stop, usage: TokenUsage(promptTokens: 5, completionTokens: 2, totalTokens: 7))),
                    ]
                )
            }
            await http.shutdown()
        }

        @Test("OpenAI errors are classified, carry retry advice and never show the key")
        func errors() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.post("v1/embeddings") { _, _ -> Response in
                jsonResponse(
                    #"{"error":{"message":"Rate limit reached for key \#(Self.key)","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                    status: .tooManyRequests,
                    headers: [("retry-after", "2"), ("retry-after-ms", "1500")]
                )
            }
            router.post("v1/chat/completions") { _, _ -> Response in
                jsonResponse(
                    #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
                    status: .tooManyRequests
                )
            }
            let http = try CurlHTTPClient()
            try await withLoopbackServer(router) { base in
                let endpoint = OpenAIEndpoint(apiKey: Self.key, baseURL: base + "/v1")
                let embeddings = OpenAIEmbeddings(endpoint: endpoint, httpClient: http)
                let limited = await #expect(throws: BackendError.self) { try await embeddings.embed(["x"]) }
                #expect(limited?.code == .rateLimited)
                #expect(limited?.isTransient == true)
                #expect(limited?.retryAfter == .milliseconds(1500))
                #expect(limited.map { !$0.description.contains(Self.key) } == true)

                let chat = OpenAIChatModel(endpoint: endpoint, httpClient: http)
                let quota = await #expect(throws: BackendError.self) { try await chat.complete([.user("q")]) }
                #expect(quota?.code == .quotaExceeded)
                #expect(quota?.isTransient == false)
                let streamed = await #expect(throws: BackendError.self) { _ = try await chat.streamCompletion([.user("q")]) }
                #expect(streamed?.code == .quotaExceeded)
            }
            await http.shutdown()
        }
    }

    @Suite("QdrantVectorStore against canned handlers")
    struct QdrantClientTests {
        static let notFound = #"{"status":{"error":"Not found: Collection `missing` doesn't exist!"},"time":0.0}"#

        static func router(log: RequestLog) -> Router<LoopbackRequestContext> {
            let router = Router(context: LoopbackRequestContext.self)
            router.get("collections/:name/exists") { request, context -> Response in
                log.record(request, body: ByteBuffer())
                let exists = context.parameters.get("name") == "docs"
                return jsonResponse(#"{"result":{"exists":\#(exists)},"status":"ok","time":0.0}"#)
            }
            router.get("collections/:name") { request, context -> Response in
                log.record(request, body: ByteBuffer())
                guard context.parameters.get("name") == "docs" else {
                    return jsonResponse(Self.notFound, status: .notFound)
                }
                return jsonResponse(
                    #"{"result":{"status":"green","points_count":2,"config":{"params":{"vectors":{"":{"size":3,"distance":"Cosine"}}}}},"status":"ok","time":0.0}"#
                )
            }
            router.put("collections/:name") { request, _ -> Response in
                log.record(request, body: try await request.body.collect(upTo: 1 << 20))
                return jsonResponse(#"{"result":true,"status":"ok","time":0.0}"#)
            }
            router.put("collections/:name/points") { request, _ -> Response in
                log.record(request, body: try await request.body.collect(upTo: 1 << 20))
                return jsonResponse(#"{"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0.0}"#)
            }
            router.post("collections/:name/points/query") { request, context -> Response in
                log.record(request, body: try await request.body.collect(upTo: 1 << 20))
                guard context.parameters.get("name") == "docs" else {
                    return jsonResponse(Self.notFound, status: .notFound)
                }
                return jsonResponse(
                    #"{"result":{"points":[{"id":"0b8e3b7c-53a4-4c8e-9d9b-1f0c2f1a2b3c","version":1,"score":0.875,"payload":{"page_content":"Chunk one","metadata":{"source":"book.pdf","page":2,"page_label":"3"}}},{"id":7,"version":2,"score":0.5}]},"status":"ok","time":0.0}"#
                )
            }
            return router
        }

        @Test("collection checks, creation and the empty-named vector config")
        func collections() async throws {
            let log = RequestLog()
            let http = try CurlHTTPClient()
            try await withLoopbackServer(Self.router(log: log)) { base in
                let store = QdrantVectorStore(configuration: .init(baseURL: base, apiKey: "qdrant-secret"), httpClient: http)
                #expect(try await store.collectionExists("docs"))
                #expect(try await !store.collectionExists("missing"))
                #expect(try await store.collectionInfo("docs") == VectorCollectionInfo(name: "docs", dimension: 3, distance: .cosine, pointCount: 2))
                #expect(try await store.collectionInfo("missing") == nil)
                try await store.createCollection("fresh", dimension: 384, distance: .cosine)
                let create = log.all.last
                #expect(create?.path == "/collections/fresh")
                #expect(create?.body == ["vectors": ["size": 384, "distance": "Cosine"]])
                #expect(log.all.allSatisfy { $0.headers["api-key"] == "qdrant-secret" })
                let mismatch = await #expect(throws: BackendError.self) {
                    try await store.ensureCollection("docs", dimension: 384)
                }
                #expect(mismatch?.code == .dimensionMismatch)
                try await store.ensureCollection("docs", dimension: 3)
            }
            await http.shutdown()
        }

        @Test("upsert and query speak the contract and read langchain's payloads")
        func pointsAndQuery() async throws {
            let log = RequestLog()
            let http = try CurlHTTPClient()
            try await withLoopbackServer(Self.router(log: log)) { base in
                var configuration = QdrantVectorStore.Configuration(baseURL: base)
                configuration.upsertBatchSize = 2
                let store = QdrantVectorStore(configuration: configuration, httpClient: http)
                let points = (0..<3).map { VectorPoint.document(id: .integer(UInt64($0)), vector: [1, 0, 0], text: "t\($0)") }
                try await store.upsert(points, into: "docs")
                let upserts = log.all.filter { $0.path == "/collections/docs/points" }
                #expect(upserts.count == 2)
                #expect(upserts.first?.body?["points"]?.arrayValue?.count == 2)

                let hits = try await store.query(
                    VectorQuery(vector: [0.5, 0.5, 0], limit: 4, filter: .match(key: "metadata.source", value: "book.pdf")),
                    in: "docs"
                )
                #expect(hits.map(\.id) == [.uuid("0b8e3b7c-53a4-4c8e-9d9b-1f0c2f1a2b3c"), .integer(7)])
                #expect(hits.first?.score == 0.875)
                #expect(hits.first?.pageContent == "Chunk one")
                #expect(hits.first?.pageLabel == "3")
                #expect(hits.last?.payload == [:])
                #expect(
                    log.all.last?.body
                        == ["query": [0.5, 0.5, 0], "limit": 4, "with_payload": true, "filter": ["must": [["key": "metadata.source", "match": ["value": "book.pdf"]]]]]
                )
                let missing = await #expect(throws: BackendError.self) {
                    try await store.nearest(to: [1, 0, 0], in: "missing")
                }
                #expect(missing?.code == .notFound)
                #expect(missing?.isTransient == false)
            }
            await http.shutdown()
        }

        @Test("an unreachable Qdrant is a transient connection error")
        func unreachable() async throws {
            let http = try CurlHTTPClient()
            let store = QdrantVectorStore(configuration: .init(baseURL: "http://127.0.0.1:1"), httpClient: http)
            let error = await #expect(throws: BackendError.self) { try await store.collectionExists("docs") }
            #expect(error?.code == .connection)
            #expect(error?.isTransient == true)
            await http.shutdown()
        }
    }
}
