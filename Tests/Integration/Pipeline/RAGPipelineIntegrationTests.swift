import FakeBackends
import Foundation
import Testing

@testable import RAGQueue

/// The RAG worker end to end: real Valkey, fake OpenAI and Qdrant, an ingested corpus.
/// `swift test --filter RAGPipelineIntegrationTests`.
@Suite("RAG pipeline end to end")
struct RAGPipelineIntegrationTests {
    @Test("questions through the queue get answers citing the page that holds the answer")
    func citesRightPages() async throws {
        try await withRAGStack { stack in
            let questions: [(String, String)] = [
                ("Why do volcanoes erupt and where does lava flow?", "1"),
                ("How do worker bees turn nectar into honey in the hive?", "2"),
                ("What did a lighthouse keeper do with the lamp?", "3"),
            ]
            var jobs: [(JobID, String, String)] = []
            for (question, page) in questions {
                jobs.append((try await stack.ask(RAGQuery(query: question, topK: 1)), question, page))
            }
            for (id, question, page) in jobs {
                let record = try await waitForEnd(id, harness: stack.harness)
                #expect(record.status == .finished)
                let answer = try stack.answer(of: record)
                #expect(answer.answer.hasPrefix("Fake answer to: \(question)"))
                #expect(answer.answer.contains("(see page \(page))"), "\(answer.answer)")
                #expect(answer.sources.count == 1)
                #expect(answer.sources.first?.pageLabel == page)
                #expect(answer.sources.first?.page == Int(page)! - 1)
                #expect(answer.sources.first?.source == stack.pdfSource)
                #expect(answer.sources.allSatisfy { !($0.source ?? "").contains(stack.corpus.path) }, "no server path in an answer")
                #expect(answer.collection == stack.collection)
                #expect(answer.model == "gpt-4.1-mini")
                #expect(answer.embeddingModel == "text-embedding-3-small")
                #expect(answer.usage.embeddingTokens > 0 && answer.usage.promptTokens > 0 && answer.usage.completionTokens > 0)
                #expect(answer.usage.vectorSearches == 1)
                #expect(answer.usage.costUSD > 0, "gpt-4.1-mini and text-embedding-3-small have list prices")
                #expect(record.usage == answer.usage.jobUsage, "the job's record keeps what the answer used")
                #expect(Set(answer.timings.keys) == ["queue_wait_ms", "embed_ms", "retrieve_ms", "generate_ms"])
                #expect(Set(record.timings.keys).isSuperset(of: ["embed", "retrieve", "generate"]))
            }

            // Without pages (a markdown file), the answer cites none; a filter restricts the sources.
            let bread = try await stack.ask(RAGQuery(query: "How does sourdough bread rise with a starter?", topK: 1))
            let breadAnswer = try stack.answer(of: try await waitForEnd(bread, harness: stack.harness))
            #expect(breadAnswer.sources.first?.source?.hasSuffix("bread.md") == true)
            #expect(!breadAnswer.answer.contains("see page"))

            let filtered = try await stack.ask(RAGQuery(query: "bees and honey", topK: 4, filter: ["metadata.page_label": "3"]))
            let filteredAnswer = try stack.answer(of: try await waitForEnd(filtered, harness: stack.harness))
            #expect(!filteredAnswer.sources.isEmpty)
            #expect(filteredAnswer.sources.allSatisfy { $0.pageLabel == "3" })
        }
    }

    @Test("a 500 is retried without spending an attempt; a 429 with a short Retry-After is waited out inside the attempt")
    func transientFaultsRetried() async throws {
        let faults = FaultPlan<FakeOpenAIServer.Endpoint>(
            perEndpoint: [
                .chatCompletions: .init(failFirst: 1, failFirstKind: .tooManyRequests),
                .embeddings: .init(failFirst: 1, failFirstKind: .internalServerError),
            ],
            retryAfter: .milliseconds(200)
        )
        try await withRAGStack(openAI: .init(faults: faults)) { stack in
            let id = try await stack.ask(RAGQuery(query: "How do worker bees make honey?", topK: 1))
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .finished)
            // Run 1: embeddings 500, an outage failure: retried, its attempt given back. Run 2: chat 429
            // (retry-after 200 ms), waited out, then the answer. One attempt spent.
            #expect(record.attempts == 1)
            #expect(record.error?.code == "server_error")
            #expect(stack.openAI.counters.snapshot().faultsByKind[.tooManyRequests] == 1)
            #expect(try stack.answer(of: record).answer.contains("(see page 2)"))
        }
    }

    @Test("a 429 whose Retry-After exceeds the longest in-attempt wait costs the attempt; the queue retries after it")
    func longRateLimitGoesToTheQueue() async throws {
        let faults = FaultPlan<FakeOpenAIServer.Endpoint>(
            perEndpoint: [.chatCompletions: .init(failFirst: 1, failFirstKind: .tooManyRequests)], retryAfter: .milliseconds(300)
        )
        try await withRAGStack(openAI: .init(faults: faults), configure: { $0.pipeline.maxRateLimitWait = .milliseconds(100) }) { stack in
            let id = try await stack.ask(RAGQuery(query: "How do worker bees make honey?", topK: 1))
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .finished)
            #expect(record.attempts == 2)
            #expect(record.error?.code == "rate_limited")
            #expect(record.error?.retryAfterSeconds == 0.3)
        }
    }

    @Test("a missing collection fails the job at once with a message naming it")
    func missingCollection() async throws {
        try await withRAGStack { stack in
            let id = try await stack.ask(RAGQuery(query: "anything", collection: "no_such_collection"))
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .failed)
            #expect(record.attempts == 1)
            #expect(record.error?.code == "collection_not_found")
            #expect(record.error?.transient == false)
            #expect(record.error?.message.contains("no_such_collection") == true)
        }
    }

    @Test("a refused API key fails the job at once, and the key never shows")
    func badKey() async throws {
        try await withRAGStack(configure: { $0.openAI.apiKey = "sk-invalid-0123456789abcdef" }) { stack in
            let id = try await stack.ask(RAGQuery(query: "How do bees make honey?"))
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .failed)
            #expect(record.attempts == 1)
            #expect(record.error?.code == "unauthorized")
            #expect(record.error?.message.contains("OPENAI_API_KEY") == true)
            #expect(record.error?.message.contains("0123456789abcdef") == false)
        }
    }

    @Test("a bad payload fails as invalid_payload without retries")
    func badPayload() async throws {
        try await withRAGStack { stack in
            let id = try await stack.harness.store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: Array(#"{"question":1}"#.utf8))).id
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .failed)
            #expect(record.attempts == 1)
            #expect(record.error?.code == "invalid_payload")
        }
    }

    @Test("a streamed answer's token stream concatenates to the stored answer")
    func streaming() async throws {
        try await withRAGStack { stack in
            let id = try await stack.ask(RAGQuery(query: "What guides ships along the coast?", topK: 2, stream: true))
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .finished)
            let answer = try stack.answer(of: record)
            let entries = try await stack.harness.store.tokens(of: id).map(\.kind)
            #expect(entries.first == .attempt(1))
            #expect(entries.last == .end(finishReason: "stop"))
            let text = entries.compactMap { if case .text(let piece) = $0 { piece } else { nil } }
            #expect(text.count > 3)
            #expect(text.joined() == answer.answer)
        }
    }

    @Test("a streamed job that fails once marks the failed attempt, then streams the answer again")
    func streamingRetry() async throws {
        let faults = FaultPlan<FakeOpenAIServer.Endpoint>(
            perEndpoint: [.chatCompletions: .init(failFirst: 1, failFirstKind: .internalServerError)]
        )
        try await withRAGStack(openAI: .init(faults: faults)) { stack in
            let id = try await stack.ask(RAGQuery(query: "What guides ships along the coast?", topK: 1, stream: true))
            let record = try await waitForEnd(id, harness: stack.harness)
            #expect(record.status == .finished)
            #expect(record.attempts == 1, "a 500 gives its attempt back")
            let entries = try await stack.harness.store.tokens(of: id).map(\.kind)
            #expect(entries.first == .attempt(1))
            guard entries.count > 2, case .error(let code, _, let final) = entries[1] else {
                Issue.record("the failed attempt wrote no error entry: \(entries)")
                return
            }
            #expect(code == "server_error")
            #expect(!final)
            // The next run starts the stream over (a reset), under the same attempt number.
            #expect(entries[2] == .attempt(1))
            let text = entries[2...].compactMap { if case .text(let piece) = $0 { piece } else { nil } }
            #expect(text.joined() == (try stack.answer(of: record)).answer)
            #expect(entries.last == .end(finishReason: "stop"))
        }
    }
}
