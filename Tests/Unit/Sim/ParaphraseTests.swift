import FakeBackends
import Foundation
import Testing
@testable import RAGQueue
@testable import RAGSimulator

/// ragsim's paraphrases and how its report judges the semantic cache's hits.
@Suite("ragsim paraphrases and semantic hits")
struct ParaphraseTests {
    static func cosine(_ a: String, _ b: String) -> Float {
        let x = BagOfWordsEmbedder.embed(.text(a), model: "text-embedding-3-small", nativeDimensions: 1536)
        let y = BagOfWordsEmbedder.embed(.text(b), model: "text-embedding-3-small", nativeDimensions: 1536)
        return zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @Test("the four rewordings keep the question's words in different measure, as their documentation says, on the fake's embeddings")
    func rewordings() {
        let corpus = SimCorpus(seed: 7, questions: 40)
        for question in corpus.questions {
            let variants = (0..<4).map { SimCorpus.paraphrase(question, variant: $0) }
            #expect(Set(variants).count == 4 && !variants.contains(question), "\(variants)")
            #expect(variants.allSatisfy { AnswerCachePolicy.normalized($0) != AnswerCachePolicy.normalized(question) }, "the exact cache misses them")
            let similarity = variants.map { Self.cosine(question, $0) }
            #expect(similarity[0] > 0.99 && similarity[1] > 0.99, "\(question): \(similarity)")
            #expect(similarity[2] > 0.9 && similarity[2] < 0.97, "\(question): \(similarity)")
            #expect(similarity[3] > 0.7 && similarity[3] < 0.87, "\(question): \(similarity)")
        }
        #expect(SimCorpus.paraphrase("What does the cache do in rate limits?", variant: 1) == "In rate limits, what does the cache do?")
        let neighbours = Self.cosine("What does the cache do in rate limits?", "What does the batch do in rate limits?")
        #expect(neighbours > 0.8 && neighbours < 0.9, "two questions one word apart: \(neighbours)")
    }

    @Test("a semantic hit is false when its answer came from a query that meant another question")
    func falseHits() throws {
        typealias T = StepResultTests.Timeline
        var source = try T.job(.finished, created: 4, started: 4.1, ended: 5)
        source.intent = "What does the cache do in rate limits?"
        func reuse(_ intent: String, created: Double, similarity: Double) throws -> Submission {
            var submission = try T.job(.finished, created: created, started: created + 0.1, ended: created + 0.2)
            submission.intent = intent
            submission.record?.cachedFrom = source.record?.id
            submission.record?.similarity = similarity
            return submission
        }
        let result = T.result([
            source, try reuse("What does the cache do in rate limits?", created: 6, similarity: 0.99),
            try reuse("What does the batch do in rate limits?", created: 7, similarity: 0.88),
        ])
        #expect(result.semanticHits == 2)
        #expect(result.falseHits == 1)
        #expect(result.cacheHits == nil, "a worker's reuse is not an answer at submit")
    }
}

@Suite("ragsim repetition settings")
struct RepetitionTests {
    @Test("the caches' settings reach the children's environment with every digit")
    func environment() {
        #expect(Repetition().environment.isEmpty)
        let environment = Repetition(zipf: 1.1, paraphrase: 0.3, answerCacheSeconds: 3600, semanticThreshold: 0.95).environment
        #expect(environment["RAGQ_ANSWER_CACHE_TTL_SECONDS"] == "3600")
        #expect(environment["RAGQ_SEMANTIC_CACHE_THRESHOLD"].flatMap(Double.init) == 0.95)
    }
}
