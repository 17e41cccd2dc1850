import Testing
@testable import RAGQueue

/// The worker's side of the semantic answer cache, over the in-memory queue.
@Suite("Semantic answer index")
struct SemanticAnswerIndexTests {
    /// Runs one job of `scope` to the end with `answer` and the question's `vector`; returns its scope.
    static func answer(_ key: String, _ answer: String, vector: [Float], store: InMemoryJobStore) async throws -> (id: JobID, scope: String) {
        var request = EnqueueRequest(kind: RAGQuery.kind, payload: [])
        request.answerCache = AnswerCacheEntry(key: key, collection: "docs", ttl: .seconds(60), scope: "scope")
        let id = try await store.enqueue(request).id
        let job = try #require(try await store.claim(workerID: "w", count: 1).jobs.first)
        let scope = try #require(job.answerScope)
        try await store.complete(job.lease, result: Array(answer.utf8), timings: [:], usage: JobUsage(), cache: AnswerCacheWrite(vector: vector))
        return (id, scope)
    }

    @Test("the nearest answered question at or above the threshold answers; below it, nothing does")
    func nearestAboveThreshold() async throws {
        let store = try InMemoryJobStore()
        let index = SemanticAnswerIndex(store: store, threshold: 0.9)
        let (near, scope) = try await Self.answer("a", "near", vector: [1, 0.2, 0], store: store)
        _ = try await Self.answer("b", "far", vector: [0, 1, 0], store: store)
        _ = try await Self.answer("c", "closer but second", vector: [1, 0.35, 0], store: store)

        // Not unit length on purpose: the index compares directions.
        let found = try #require(try await index.nearest(to: [2, 0.4, 0.01], in: scope))
        #expect(found.answer.job == near && found.answer.result == Array("near".utf8))
        #expect(found.similarity > 0.99 && found.similarity <= 1)
        #expect(try await index.nearest(to: [0.6, 0.8, 0], in: scope) == nil, "cosine 0.8 to the nearest: below 0.9")
        #expect(try await index.nearest(to: [1, 0.2, 0], in: "other") == nil, "another scope shares nothing")
        #expect(try await index.nearest(to: [0, 0, 0], in: scope) == nil, "a zero vector has no direction")
    }

    @Test("answers written after a lookup are seen by the next one, from any worker")
    func readsNewerEntries() async throws {
        let store = try InMemoryJobStore()
        let index = SemanticAnswerIndex(store: store, threshold: 0.95)
        let (_, scope) = try await Self.answer("a", "first", vector: [1, 0, 0], store: store)
        #expect(try await index.nearest(to: [0, 0, 1], in: scope) == nil)
        let (later, _) = try await Self.answer("b", "later", vector: [0, 0, 1], store: store)
        #expect(try await index.nearest(to: [0, 0.01, 1], in: scope)?.answer.job == later)
        #expect(try await index.nearest(to: [1, 0.01, 0], in: scope)?.answer.result == Array("first".utf8), "earlier entries stay")
    }
}
