import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Chat completions from an OpenAI-compatible `POST /chat/completions` endpoint, plain or streamed (SSE).
public final class OpenAIChatModel: ChatModel {
    /// Settings of the chat client.
    public struct Configuration: Sendable, Hashable {
        /// The model name; default `gpt-4.1-mini`.
        public var model: String
        /// Default answer length limit in tokens (`max_completion_tokens`); nil (default) leaves it to the API.
        public var maxCompletionTokens: Int?
        /// Default sampling temperature; nil (default) leaves it to the API.
        public var temperature: Double?
        /// Whole-call deadline; default nil (the HTTP client's default). For streams it covers the whole stream.
        public var timeout: Duration?

        /// Creates a configuration.
        public init(model: String = "gpt-4.1-mini") {
            self.model = model
        }
    }

    /// The configuration in use.
    public let configuration: Configuration
    private let connection: OpenAIConnection

    /// Creates a client for the API at `endpoint` that sends its requests through `httpClient`;
    /// `observer` hears every response's rate-limit headers.
    public init(
        endpoint: OpenAIEndpoint, configuration: Configuration = .init(), httpClient: CurlHTTPClient,
        logger: Logger = Logger(label: "ragqueue.openai"), observer: OpenAIRateLimitObserver? = nil
    ) {
        self.configuration = configuration
        self.connection = OpenAIConnection(endpoint: endpoint, http: httpClient, logger: logger, observer: observer)
    }

    /// The configured model name.
    public var modelName: String { self.configuration.model }

    /// Sends the conversation and returns the first choice's answer.
    public func complete(_ messages: consuming [ChatMessage], options: ChatOptions) async throws -> ChatCompletion {
        let body = Self.requestBody(messages: messages, options: options, configuration: self.configuration, stream: false)
        _ = consume messages  // the body carries them now
        let response = try await self.connection.post(
            path: "chat/completions",
            body: consume body,
            timeout: options.timeout ?? self.configuration.timeout
        )
        let decoded = try OpenAIConnection.decode(ChatResponse.self, from: response.body, what: "chat completion")
        return try Self.completion(from: decoded, fallbackModel: self.configuration.model)
    }

    /// Sends the conversation with `stream: true` and yields the answer as it is written.
    ///
    /// HTTP errors throw from this call; errors inside the stream end the sequence with a `BackendError`.
    public func streamCompletion(
        _ messages: consuming [ChatMessage],
        options: ChatOptions
    ) async throws -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let body = Self.requestBody(messages: messages, options: options, configuration: self.configuration, stream: true)
        _ = consume messages  // the body carries them now
        let response = try await self.connection.stream(
            path: "chat/completions",
            body: consume body,
            timeout: options.timeout ?? self.configuration.timeout
        )
        let (events, continuation) = AsyncThrowingStream.makeStream(of: ChatStreamEvent.self)
        let connection = self.connection
        let model = self.configuration.model
        let reader = Task {
            var parser = ServerSentEventParser()
            var accumulator = OpenAIChatStreamAccumulator(fallbackModel: model)
            do {
                for try await chunk in response.body {
                    for event in parser.feed(chunk) {
                        for delta in try accumulator.consume(event.data) {
                            continuation.yield(.delta(delta))
                        }
                    }
                }
                if let event = parser.finish() {
                    for delta in try accumulator.consume(event.data) {
                        continuation.yield(.delta(delta))
                    }
                }
                continuation.yield(.completed(accumulator.completion))
                continuation.finish()
            } catch {
                continuation.finish(throwing: connection.transportError(error, path: "chat/completions"))
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return events
    }

    // MARK: Wire format (internal for tests)

    struct Usage {
        var promptTokens: Int?
        var completionTokens: Int?
        var totalTokens: Int?

        /// `{"prompt_tokens":…,"completion_tokens":…,"total_tokens":…}`; nil unless an object.
        init?(json: JSONValue?) {
            guard let json, json.objectValue != nil else { return nil }
            self.promptTokens = json["prompt_tokens"]?.intValue
            self.completionTokens = json["completion_tokens"]?.intValue
            self.totalTokens = json["total_tokens"]?.intValue
        }

        var tokenUsage: TokenUsage {
            let prompt = self.promptTokens ?? 0
            let completion = self.completionTokens ?? 0
            return TokenUsage(promptTokens: prompt, completionTokens: completion, totalTokens: self.totalTokens ?? prompt + completion)
        }
    }

    struct ChatResponse: OpenAIResponseBody {
        struct Choice {
            struct Message {
                var content: String?
                var refusal: String?
            }

            var message: Message?
            var finishReason: String?
        }

        var model: String?
        var choices: [Choice]
        var usage: Usage?

        init?(json: JSONValue) {
            guard let choices = json["choices"]?.arrayValue else { return nil }
            self.model = json["model"]?.stringValue
            self.choices = choices.map { choice in
                let message = choice["message"].map { Choice.Message(content: $0["content"]?.stringValue, refusal: $0["refusal"]?.stringValue) }
                return Choice(message: message, finishReason: choice["finish_reason"]?.stringValue)
            }
            self.usage = Usage(json: json["usage"])
        }
    }

    /// The JSON body of one request, written straight to bytes (snake-case keys, sorted; unset
    /// options left out).
    static func requestBody(messages: [ChatMessage], options: ChatOptions, configuration: Configuration, stream: Bool) -> Data {
        var body: [String: JSONValue] = [
            "model": .string(configuration.model),
            "messages": .array(messages.map { .object(["role": .string($0.role.rawValue), "content": .string($0.content)]) }),
        ]
        if let tokens = options.maxCompletionTokens ?? configuration.maxCompletionTokens { body["max_completion_tokens"] = .integer(tokens) }
        if let temperature = options.temperature ?? configuration.temperature { body["temperature"] = .number(temperature) }
        if stream {
            body["stream"] = .bool(true)
            body["stream_options"] = .object(["include_usage": .bool(true)])
        }
        return Data(JSONValue.object(body).jsonBytes)
    }

    /// The first choice of a non-streamed response.
    static func completion(from response: ChatResponse, fallbackModel: String) throws -> ChatCompletion {
        guard let choice = response.choices.first else {
            throw BackendError(.invalidResponse, backend: OpenAIConnection.backend, message: "the chat completion has no choices")
        }
        return ChatCompletion(
            text: choice.message?.content ?? choice.message?.refusal ?? "",
            model: response.model ?? fallbackModel,
            finishReason: choice.finishReason.map(FinishReason.init),
            usage: response.usage?.tokenUsage
        )
    }
}
