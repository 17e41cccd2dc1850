/// An embeddings model whose calls wait for the provider's budget (`ProviderPacer`).
public struct PacedEmbeddingModel: EmbeddingModel {
    /// The model that embeds.
    public let model: any EmbeddingModel
    /// Its pacer.
    public let pacer: ProviderPacer

    /// `model`, paced by `pacer`.
    public init(_ model: any EmbeddingModel, pacer: ProviderPacer) {
        self.model = model
        self.pacer = pacer
    }

    public var modelName: String { model.modelName }

    public func dimension() async throws -> Int {
        try await model.dimension()
    }

    public func embeddings(for texts: [String]) async throws -> Embeddings {
        let estimate = texts.reduce(0) { $0 + ProviderPacer.tokens($1) }
        return try await pacer.paced(estimate: estimate, { try await model.embeddings(for: texts) }, used: { $0.tokens })
    }
}

/// A chat model whose calls wait for the provider's budget (`ProviderPacer`). A call reserves its
/// prompt's tokens and the answer's expected length (the longest allowed, or the average seen so
/// far), and settles with the tokens the provider reported.
public struct PacedChatModel: ChatModel {
    /// The model that answers.
    public let model: any ChatModel
    /// Its pacer.
    public let pacer: ProviderPacer
    /// Tokens expected in an answer when the options set no limit. Default 256.
    public var expectedCompletionTokens: Int

    /// `model`, paced by `pacer`.
    public init(_ model: any ChatModel, pacer: ProviderPacer, expectedCompletionTokens: Int = 256) {
        self.model = model
        self.pacer = pacer
        self.expectedCompletionTokens = expectedCompletionTokens
    }

    public var modelName: String { model.modelName }

    public func complete(_ messages: consuming [ChatMessage], options: ChatOptions) async throws -> ChatCompletion {
        try await pacer.paced(
            estimate: estimate(messages, options), passing: messages, { messages in try await model.complete(messages, options: options) },
            used: Self.used
        )
    }

    public func streamCompletion(
        _ messages: consuming [ChatMessage], options: ChatOptions
    ) async throws -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let ticket = try await pacer.reserve(estimate(messages, options))
        let stream: AsyncThrowingStream<ChatStreamEvent, any Error>
        do {
            stream = try await model.streamCompletion(messages, options: options)
        } catch {
            await pacer.refused(ticket, error: error)
            throw error
        }
        let pacer = self.pacer
        return AsyncThrowingStream { continuation in
            let relay = Task {
                var used = 0
                do {
                    for try await event in stream {
                        if case .completed(let completion) = event { used = Self.used(completion) }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                pacer.settle(ticket, used: used)
            }
            continuation.onTermination = { _ in relay.cancel() }
        }
    }

    private func estimate(_ messages: [ChatMessage], _ options: ChatOptions) -> Int {
        messages.reduce(3) { $0 + ProviderPacer.tokens($1.content) + 4 } + (options.maxCompletionTokens ?? expectedCompletionTokens)
    }

    private static func used(_ completion: ChatCompletion) -> Int {
        completion.usage?.totalTokens ?? 0
    }
}
