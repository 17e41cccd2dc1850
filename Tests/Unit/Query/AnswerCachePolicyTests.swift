import Foundation
import Testing
@testable import RAGQueue

@Suite("Answer cache keys")
struct AnswerCachePolicyTests {
    static let policy = AnswerCachePolicy(ttl: .seconds(60), chatModel: "gpt-4o-mini", promptVersion: "1/label")

    static func key(_ query: RAGQuery, tenant: String? = "a", policy: AnswerCachePolicy = policy) throws -> String? {
        policy.entry(for: try query.validated(by: QueryRules()), tenant: tenant)?.key
    }

    @Test("a question is the same after NFKC, case folding and collapsing white space", arguments: [
        ("What is RAG?", "what is rag?"),
        ("What  is\tRAG?\n", "What is RAG?"),
        ("ＲＡＧ ｆｕｌｌ ｆｏｒｍ", "rag full form"),
        ("Straße", "STRASSE"),
    ])
    func normalizedAlike(first: String, second: String) throws {
        #expect(AnswerCachePolicy.normalized(first) == AnswerCachePolicy.normalized(second))
        #expect(try Self.key(RAGQuery(query: first)) == Self.key(RAGQuery(query: second)))
    }

    @Test("anything that changes the answer changes the key: words, tenant, collection, top_k, filter, model, prompt")
    func keyInputs() throws {
        let base = try #require(try Self.key(RAGQuery(query: "What is RAG?")))
        let others = try [
            Self.key(RAGQuery(query: "What is RAG")),
            Self.key(RAGQuery(query: "What is RAG?"), tenant: "b"),
            Self.key(RAGQuery(query: "What is RAG?"), tenant: nil),
            Self.key(RAGQuery(query: "What is RAG?", collection: "other")),
            Self.key(RAGQuery(query: "What is RAG?", topK: 9)),
            Self.key(RAGQuery(query: "What is RAG?", filter: ["metadata.source": .string("guide.pdf")])),
            Self.key(RAGQuery(query: "What is RAG?"), policy: AnswerCachePolicy(ttl: .seconds(60), chatModel: "gpt-4o", promptVersion: "1/label")),
            Self.key(RAGQuery(query: "What is RAG?"), policy: AnswerCachePolicy(ttl: .seconds(60), chatModel: "gpt-4o-mini", promptVersion: "2/label")),
        ]
        for other in others { #expect(other != nil && other != base) }
        #expect(Set(others).count == others.count)
        // What does not change the answer does not change the key.
        #expect(try Self.key(RAGQuery(query: "What is RAG?", stream: true, priority: 9)) == base)
    }

    @Test("a shared scope gives every tenant the same key, and a key apart from any tenant's own")
    func sharedScope() throws {
        var shared = Self.policy
        shared.shared = true
        let keys = try ["a", "b", nil].map { try Self.key(RAGQuery(query: "What is RAG?"), tenant: $0, policy: shared) }
        #expect(Set(keys).count == 1 && keys[0] != nil)
        #expect(try keys[0] != Self.key(RAGQuery(query: "What is RAG?"), tenant: "a"))
    }

    @Test("the semantic scope: off without a threshold; the same for questions alike in all but their words, apart for anything else")
    func semanticScope() throws {
        var policy = Self.policy
        func scope(_ query: RAGQuery, tenant: String? = "a") throws -> String? {
            policy.entry(for: try query.validated(by: QueryRules()), tenant: tenant)?.scope
        }
        #expect(try scope(RAGQuery(query: "What is RAG?")) == nil)
        policy.semanticThreshold = 0.9
        policy.embeddingModel = "text-embedding-3-small"
        let base = try #require(try scope(RAGQuery(query: "What is RAG?")))
        #expect(try scope(RAGQuery(query: "Explain retrieval-augmented generation")) == base)
        #expect(try scope(RAGQuery(query: "What is RAG?"), tenant: "b") != base)
        #expect(try scope(RAGQuery(query: "What is RAG?", topK: 9)) != base)
        policy.embeddingModel = "text-embedding-3-large"
        #expect(try scope(RAGQuery(query: "What is RAG?")) != base, "another embedding model's vectors do not compare")
    }

    @Test("the cache is off at a zero TTL; cache: false asks for a fresh answer that is stored all the same")
    func offAndOptOut() throws {
        #expect(try Self.key(RAGQuery(query: "What is RAG?"), policy: AnswerCachePolicy()) == nil)
        let query = try RAGQuery(query: "What is RAG?", cache: false).validated(by: QueryRules())
        let entry = try #require(Self.policy.entry(for: query, tenant: "a"))
        #expect(!entry.lookup)
        #expect(entry.ttl == .seconds(60))
        #expect(entry.collection == QueryRules().defaultCollection)
    }

    @Test("cache is a field of the wire shape: true or false, anything else refused")
    func wireField() throws {
        #expect(try RAGQuery(json: Array(#"{"query":"q","cache":false}"#.utf8)).cache == false)
        #expect(try RAGQuery(json: Array(#"{"query":"q"}"#.utf8)).cache == nil)
        #expect(throws: QueryValidationError.self) { try RAGQuery(json: Array(#"{"query":"q","cache":"no"}"#.utf8)) }
        #expect(RAGQuery(query: "q", cache: false).jsonValue["cache"] == .bool(false))
    }
}
