/// Answers a conversation: the seam between the pipeline and a chat-completions backend.
///
/// Implementations: `OpenAIChatModel` (any OpenAI-compatible API). Failures are `BackendError`s.
public protocol ChatModel: Sendable {
    /// The model's name as configured, e.g. `gpt-4.1`.
    var modelName: String { get }

    /// Completes the conversation and returns the whole answer.
    ///
    /// It takes the messages (`consuming`): an implementation lets go of them once the request
    /// that carries them is built, so a prompt of retrieved context is not held twice, as text
    /// and as the request's body, while the model writes (docs/benchmarks.md, "Memory per job in
    /// flight").
    func complete(_ messages: consuming [ChatMessage], options: ChatOptions) async throws -> ChatCompletion

    /// Completes the conversation as a stream: `.delta` text pieces, then exactly one `.completed`
    /// whose text is the pieces joined. Stop iterating to abort the call. Takes the messages as
    /// `complete` does.
    func streamCompletion(
        _ messages: consuming [ChatMessage],
        options: ChatOptions
    ) async throws -> AsyncThrowingStream<ChatStreamEvent, any Error>
}

extension ChatModel {
    /// Completes the conversation with default options.
    public func complete(_ messages: consuming [ChatMessage]) async throws -> ChatCompletion {
        try await self.complete(messages, options: ChatOptions())
    }

    /// Streams the completion of the conversation with default options.
    public func streamCompletion(_ messages: consuming [ChatMessage]) async throws -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        try await self.streamCompletion(messages, options: ChatOptions())
    }
}

/// One message of a conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who speaks: `system`, `developer`, `user`, `assistant` or `tool`.
    public struct Role: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// The role's wire name.
        public let rawValue: String

        /// Creates a role from its wire name.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// Creates a role from a string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// Decodes the wire name.
        public init(from decoder: any Decoder) throws { self.rawValue = try decoder.singleValueContainer().decode(String.self) }
        /// Encodes the wire name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(self.rawValue)
        }

        /// Instructions that frame the conversation.
        public static let system = Role("system")
        /// Instructions from the developer (newer models' name for system).
        public static let developer = Role("developer")
        /// The person asking.
        public static let user = Role("user")
        /// The model's earlier answers.
        public static let assistant = Role("assistant")
        /// The wire name.
        public var description: String { self.rawValue }
    }

    /// Who speaks.
    public var role: Role
    /// What they say.
    public var content: String

    /// Creates a message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// Per-call settings of a completion; nil fields use the model's or backend's defaults.
public struct ChatOptions: Sendable, Hashable {
    /// Most tokens the answer may have; nil means the backend's limit.
    public var maxCompletionTokens: Int?
    /// Sampling temperature, 0...2; nil means the backend's default.
    public var temperature: Double?
    /// The whole-call deadline; nil means the client's default.
    public var timeout: Duration?

    /// Creates options.
    public init(maxCompletionTokens: Int? = nil, temperature: Double? = nil, timeout: Duration? = nil) {
        self.maxCompletionTokens = maxCompletionTokens
        self.temperature = temperature
        self.timeout = timeout
    }
}

/// Token counts reported by the backend.
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens in the answer.
    public var completionTokens: Int
    /// Their sum, as the backend reports it.
    public var totalTokens: Int

    /// Creates a usage record.
    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }
}

/// Why the model stopped: `stop`, `length`, `content_filter`, `tool_calls`, ...
public struct FinishReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The wire name.
    public let rawValue: String

    /// Creates a reason from its wire name.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// Decodes the wire name.
    public init(from decoder: any Decoder) throws { self.rawValue = try decoder.singleValueContainer().decode(String.self) }
    /// Encodes the wire name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    /// The answer is complete.
    public static let stop = FinishReason("stop")
    /// The answer was cut at the token limit.
    public static let length = FinishReason("length")
    /// The answer was withheld by a content filter.
    public static let contentFilter = FinishReason("content_filter")
    /// The wire name.
    public var description: String { self.rawValue }
}

/// A finished completion.
public struct ChatCompletion: Sendable, Hashable {
    /// The answer text ("" when the model gave none).
    public var text: String
    /// The model that answered, as the backend reports it.
    public var model: String
    /// Why the model stopped, when reported.
    public var finishReason: FinishReason?
    /// Token counts, when reported.
    public var usage: TokenUsage?

    /// Creates a completion.
    public init(text: String, model: String, finishReason: FinishReason?, usage: TokenUsage?) {
        self.text = text
        self.model = model
        self.finishReason = finishReason
        self.usage = usage
    }
}

/// One event of a streamed completion.
public enum ChatStreamEvent: Sendable, Hashable {
    /// The next piece of answer text.
    case delta(String)
    /// The end: the whole answer with its finish reason and usage. Always the last event.
    case completed(ChatCompletion)
}
