import Foundation
import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("OpenAI wire format")
    struct OpenAIWireTests {
        static let endpoint = OpenAIEndpoint(apiKey: "sk-test")

        private func json(_ data: Data) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: data)
        }

        @Test("the embeddings request carries model, inputs, base64 format and optional dimensions")
        func embeddingsRequest() throws {
            var configuration = OpenAIEmbeddings.Configuration(model: "text-embedding-3-small")
            let plain = try self.json(OpenAIEmbeddings.requestBody(texts: ["a", "b"], configuration: configuration))
            #expect(plain == ["model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "base64"])
            configuration.dimensions = 256
            configuration.encodingFormat = .float
            let shortened = try self.json(OpenAIEmbeddings.requestBody(texts: ["a"], configuration: configuration))
            #expect(shortened == ["model": "text-embedding-3-small", "input": ["a"], "encoding_format": "float", "dimensions": 256])
        }

        @Test("base64 embeddings decode as little-endian float32")
        func base64() throws {
            let values: [Float] = [0.5, -1.25, 3.0e-7, 1]
            var bytes: [UInt8] = []
            for value in values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            }
            let text = Data(bytes).base64EncodedString()
            #expect(try OpenAIEmbeddings.decodeBase64Floats(text) == values)
            // 0x3F800000 is 1.0: "AACAPw==" is its little-endian base64.
            #expect(try OpenAIEmbeddings.decodeBase64Floats("AACAPw==") == [1])
            #expect(throws: BackendError.self) { try OpenAIEmbeddings.decodeBase64Floats("not base64!") }
            #expect(throws: BackendError.self) { try OpenAIEmbeddings.decodeBase64Floats("AAA=") }
        }

        @Test("embedding responses are ordered by index; float arrays are accepted too")
        func responseOrder() throws {
            let body = Data(
                """
                {"object":"list","data":[
                  {"object":"embedding","index":1,"embedding":"AACAPw=="},
                  {"object":"embedding","index":0,"embedding":[0.5,0.25]}],
                 "model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}
                """.utf8
            )
            let response = try OpenAIConnection.decode(OpenAIEmbeddings.EmbeddingsResponse.self, from: body, what: "embeddings")
            let vectors = try OpenAIEmbeddings.vectors(from: response, expectedCount: 2, expectedDimension: nil)
            #expect(vectors == [[0.5, 0.25], [1]])
            #expect(throws: BackendError.self) {
                try OpenAIEmbeddings.vectors(from: response, expectedCount: 3, expectedDimension: nil)
            }
            let mismatch = #expect(throws: BackendError.self) {
                try OpenAIEmbeddings.vectors(from: response, expectedCount: 2, expectedDimension: 2)
            }
            #expect(mismatch?.code == .dimensionMismatch)
        }

        @Test("inputs are batched by count (at most 2048) and by bytes")
        func batching() {
            let texts = Array(repeating: "abcd", count: 10)
            #expect(OpenAIEmbeddings.batches(of: texts, maxCount: 4, maxBytes: 1000) == [0..<4, 4..<8, 8..<10])
            #expect(OpenAIEmbeddings.batches(of: texts, maxCount: 100, maxBytes: 12) == [0..<3, 3..<6, 6..<9, 9..<10])
            #expect(OpenAIEmbeddings.batches(of: Array(repeating: "x", count: 5000), maxCount: 10_000, maxBytes: .max).map(\.count) == [2048, 2048, 904])
            #expect(OpenAIEmbeddings.batches(of: ["a long text", "b"], maxCount: 10, maxBytes: 3) == [0..<1, 1..<2])
            #expect(OpenAIEmbeddings.batches(of: [], maxCount: 10, maxBytes: 10).isEmpty)
        }

        @Test("the chat request carries model and messages; streaming adds stream options")
        func chatRequest() throws {
            var configuration = OpenAIChatModel.Configuration(model: "gpt-4.1")
            let messages: [ChatMessage] = [.system("Answer from context."), .user("What is RAG?")]
            let plain = try self.json(OpenAIChatModel.requestBody(messages: messages, options: ChatOptions(), configuration: configuration, stream: false))
            #expect(
                plain == [
                    "model": "gpt-4.1",
                    "messages": [["role": "system", "content": "Answer from context."], ["role": "user", "content": "What is RAG?"]],
                ]
            )
            configuration.temperature = 0.2
            let streamed = try self.json(
                OpenAIChatModel.requestBody(messages: messages, options: ChatOptions(maxCompletionTokens: 50), configuration: configuration, stream: true)
            )
            #expect(streamed["stream"] == true)
            #expect(streamed["stream_options"] == ["include_usage": true])
            #expect(streamed["max_completion_tokens"] == 50)
            #expect(streamed["temperature"] == 0.2)
        }

        @Test("a chat response gives text, model, finish reason and usage")
        func chatResponse() throws {
            let body = Data(
                """
                {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4.1-2025",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"RAG is retrieval.","refusal":null,"annotations":[]},
                             "logprobs":null,"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":57,"completion_tokens":12,"total_tokens":69,"prompt_tokens_details":{"cached_tokens":0}}}
                """.utf8
            )
            let response = try OpenAIConnection.decode(OpenAIChatModel.ChatResponse.self, from: body, what: "chat completion")
            let completion = try OpenAIChatModel.completion(from: response, fallbackModel: "gpt-4.1")
            #expect(completion == ChatCompletion(text: "RAG is retrieval.", model: "gpt-4.1-2025", finishReason: .stop, usage: TokenUsage(promptTokens: 57, completionTokens: 12, totalTokens: 69)))
        }

        @Test("a response that is not JSON or not in the expected shape is an invalid response, saying which")
        func malformedResponses() {
            let bodies: [(String, String)] = [
                ("chat completion", #"{"choices":"none"}"#), ("chat completion", "not json"), ("chat completion", #"{"id":"x"}"#),
                ("embeddings", #"{"data":[{"embedding":[0.5,"x"]}]}"#), ("embeddings", #"{"data":[{"embedding":true}]}"#), ("embeddings", "[]"),
            ]
            for (what, text) in bodies {
                let error = #expect(throws: BackendError.self, "\(text)") {
                    if what == "embeddings" {
                        _ = try OpenAIConnection.decode(OpenAIEmbeddings.EmbeddingsResponse.self, from: Array(text.utf8), what: what)
                    } else {
                        _ = try OpenAIConnection.decode(OpenAIChatModel.ChatResponse.self, from: Array(text.utf8), what: what)
                    }
                }
                #expect(error?.code == .invalidResponse)
                #expect(error?.message.contains(what) == true)
            }
        }

        @Test("a streamed completion accumulates deltas, the usage-only chunk and [DONE]")
        func streamAccumulator() throws {
            let head = #""id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4.1""#
            let payloads = [
                #"{\#(head),"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
                #"{\#(head),"choices":[{"index":0,"delta":{"content":"Fake "},"logprobs":null,"finish_reason":null}],"usage":null}"#,
                #"{\#(head),"choices":[{"index":0,"delta":{"content":"answer"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"x"}"#,
                #"{\#(head),"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
                #"{\#(head),"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
                "[DONE]",
                #"{"ignored":"after done"}"#,
            ]
            var accumulator = OpenAIChatStreamAccumulator(fallbackModel: "unused")
            var deltas: [String] = []
            for payload in payloads {
                deltas += try accumulator.consume(payload)
            }
            #expect(deltas == ["Fake ", "answer"])
            #expect(accumulator.isDone)
            #expect(
                accumulator.completion
                    == ChatCompletion(text: "Fake answer", model: "gpt-4.1", finishReason: .stop, usage: TokenUsage(promptTokens: 9, completionTokens: 2, totalTokens: 11))
            )
        }

        @Test("an error object inside the stream throws a classified error")
        func streamError() {
            var accumulator = OpenAIChatStreamAccumulator(fallbackModel: "gpt-4.1")
            let error = #expect(throws: BackendError.self) {
                _ = try accumulator.consume(#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#)
            }
            #expect(error?.code == .serverError)
            #expect(error?.isTransient == true)
        }

        @Test("OpenAI's error envelope is parsed, insufficient_quota included")
        func errorEnvelope() throws {
            let quota = OpenAIErrorEnvelope.parse(
                Data(#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#.utf8)
            )
            #expect(quota?.providerCode == "insufficient_quota")
            #expect(quota?.message == "You exceeded your current quota")
            let numeric = OpenAIErrorEnvelope.parse(Data(#"{"error":{"message":"m","type":"t","code":42}}"#.utf8))
            #expect(numeric?.providerCode == "42")
            #expect(OpenAIErrorEnvelope.parse(Data("<html>Bad gateway</html>".utf8)) == nil)
        }

        @Test("the endpoint's description hides the key")
        func endpointDescription() {
            let endpoint = OpenAIEndpoint(apiKey: "sk-secret-123456")
            #expect(!"\(endpoint)".contains("sk-secret"))
        }
    }
}
