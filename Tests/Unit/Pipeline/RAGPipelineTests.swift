import Prometheus
import RAGQueueAPI
import Synchronization
import Testing

@testable import RAGQueue

/// A chat model answering from a script: each call takes the next outcome; records the prompts.
final class ScriptedChatModel: ChatModel {
    enum Outcome: Sendable {
        case answer(String)
        case failure(BackendError)
    }

    let modelName = "scripted"
    private let outcomes: Mutex<[Outcome]>
    private let prompts = Mutex<[[ChatMessage]]>([])

    init(_ outcomes: [Outcome]) {
        self.outcomes = Mutex(outcomes)
    }

    /// The conversations received, in order.
    var received: [[ChatMessage]] { prompts.withLock { $0 } }

    func complete(_ messages: consuming [ChatMessage], options: ChatOptions) async throws -> ChatCompletion {
        let messages = copy messages  // a consuming parameter is not copied into the closure by itself
        prompts.withLock { $0.append(messages) }
        let next = outcomes.withLock { $0.isEmpty ? Outcome.answer("(no script)") : $0.removeFirst() }
        switch next {
        case .answer(let text): return ChatCompletion(text: text, model: modelName, finishReason: .stop, usage: nil)
        case .failure(let error): throw error
        }
    }

    func streamCompletion(_ messages: consuming [ChatMessage], options: ChatOptions) async throws -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let completion = try await complete(messages, options: options)
        let words = completion.text.split(separator: " ").enumerated().map { $0.offset == 0 ? String($0.element) : " " + $0.element }
        return AsyncThrowingStream { continuation in
            for word in words { continuation.yield(.delta(word)) }
            continuation.yield(.completed(completion))
            continuation.finish()
        }
    }
}

extension PipelineTests {
    /// The pipeline on in-memory backends: local embeddings, `InMemoryVectorStore`, a scripted chat model.
    @Suite("RAG pipeline")
    struct RAGPipelineTests {
        static let pages = [
            "Volcanoes erupt when magma rises through the crust.",
            "Worker bees turn nectar into honey in the hive.",
            "A lighthouse keeper tended the lamp every night.",
        ]

        /// A store holding `pages` (page labels 1...) in `docs`, and a pipeline over it.
        static func pipeline(
            chat: ScriptedChatModel, metrics: WorkerMetrics = WorkerMetrics(), configure: (inout RAGPipeline.Configuration) -> Void = { _ in }
        ) async throws -> RAGPipeline {
            let embeddings = LocalEmbeddings()
            let store = InMemoryVectorStore()
            try await store.createCollection("docs", dimension: embeddings.dimension(), distance: .cosine)
            var points: [VectorPoint] = []
            for (index, text) in pages.enumerated() {
                points.append(.document(
                    id: .integer(UInt64(index + 1)), vector: try await embeddings.embed(text), text: text,
                    metadata: ["source": "guide.pdf", "page": .integer(index), "page_label": .string(String(index + 1))]
                ))
            }
            try await store.upsert(points, into: "docs")
            var configuration = RAGPipeline.Configuration()
            configuration.rules.defaultCollection = "docs"
            configure(&configuration)
            return RAGPipeline(configuration: configuration, embeddings: embeddings, vectorStore: store, chat: chat, metrics: metrics)
        }

        @Test("the nearest chunk goes into the prompt; sources, collection and stage times come back")
        func answers() async throws {
            let chat = ScriptedChatModel([.answer("Bees make honey (page 2).")])
            let pipeline = try await Self.pipeline(chat: chat)
            let stages = Mutex<[RAGPipeline.Stage]>([])
            let answer = try await pipeline.answer(RAGQuery(query: "How do worker bees make honey?", topK: 1)) { stage, _ in
                stages.withLock { $0.append(stage) }
            }
            #expect(answer.answer == "Bees make honey (page 2).")
            #expect(answer.collection == "docs")
            #expect(answer.sources.map(\.pageLabel) == ["2"])
            #expect(stages.withLock { $0 } == [.embed, .retrieve, .generate])
            #expect(chat.received.first?.first?.content.contains("Page Number: 2") == true)
            #expect(chat.received.first?.last == .user("How do worker bees make honey?"))
        }

        @Test("a streamed answer hands over its pieces, which join to the answer")
        func streams() async throws {
            let pipeline = try await Self.pipeline(chat: ScriptedChatModel([.answer("one two three")]))
            let pieces = Mutex<[String]>([])
            let answer = try await pipeline.answer(RAGQuery(query: "lamp"), onDelta: { piece in pieces.withLock { $0.append(piece) } })
            #expect(pieces.withLock { $0.joined() } == answer.answer)
            #expect(pieces.withLock { $0.count } == 3)
        }

        @Test("a missing collection and a query against the rules are errors that say so, not retried")
        func permanentErrors() async throws {
            let pipeline = try await Self.pipeline(chat: ScriptedChatModel([]))
            let missing = await #expect(throws: RAGError.self) { try await pipeline.answer(RAGQuery(query: "q", collection: "nowhere")) }
            #expect(missing?.codeName == "collection_not_found")
            #expect(missing?.stage == .retrieve)
            #expect(missing?.isTransient == false)
            let invalid = await #expect(throws: RAGError.self) { try await pipeline.answer(RAGQuery(query: "q", topK: 99)) }
            #expect(invalid?.codeName == "invalid_query")
            #expect(invalid?.stage == nil)
        }

        @Test("a short 429 is waited out inside the answer; a long one is a transient error with its delay; both are counted")
        func rateLimits() async throws {
            let server = WorkerMetricsServer()
            let metrics = WorkerMetrics(factory: server.factory)
            let short = BackendError(.rateLimited, backend: "openai", status: 429, message: "slow down", retryAfter: .milliseconds(20))
            let waited = try await Self.pipeline(chat: ScriptedChatModel([.failure(short), .answer("fine")]), metrics: metrics)
            #expect(try await waited.answer(RAGQuery(query: "q")).answer == "fine")
            #expect(server.registry.emitToString().contains(#"ragqueue_provider_throttled_total{stage="generate"} 1"#))

            let long = BackendError(.rateLimited, backend: "openai", status: 429, message: "slow down", retryAfter: .seconds(30))
            let refused = try await Self.pipeline(chat: ScriptedChatModel([.failure(long)]), metrics: metrics)
            let error = await #expect(throws: RAGError.self) { try await refused.answer(RAGQuery(query: "q")) }
            #expect(error?.codeName == "rate_limited")
            #expect(error?.isTransient == true)
            #expect(error?.retryAfter == .seconds(30))
            #expect(error?.stage == .generate)
            #expect(server.registry.emitToString().contains(#"ragqueue_provider_throttled_total{stage="generate"} 2"#))
        }

        @Test("a cancelled caller stops the answer as canceled")
        func cancellation() async throws {
            let pipeline = try await Self.pipeline(chat: ScriptedChatModel([.answer("never")]))
            let task = Task { try await pipeline.answer(RAGQuery(query: "q")) }
            task.cancel()
            let result = await task.result
            #expect(throws: RAGError.self) { try result.get() }
            if case .failure(let error as RAGError) = result { #expect(error.codeName == "canceled") }
        }
    }
}
