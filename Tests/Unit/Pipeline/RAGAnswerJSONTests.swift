import Foundation
import Testing

@testable import RAGQueue

extension PipelineTests {
    @Suite("The stored answer's JSON")
    struct RAGAnswerJSONTests {
        static func answer(costs: Bool) -> RAGAnswer {
            var usage = RAGUsage()
            usage.embeddingTokens = 7
            usage.promptTokens = 420
            usage.completionTokens = 31
            usage.vectorSearches = 1
            if costs {
                usage.embeddingCostUSD = 1.4e-07
                usage.chatCostUSD = 0.0002176
            }
            return RAGAnswer(
                answer: "Paris, \"the capital\" / see p. 3\n", sources: [
                    .init(id: "9f1c", score: 0.8123, page: 2, pageLabel: "3", source: "docs/atlas.pdf", excerpt: "Paris is…"),
                    .init(id: "17", score: 0.1, page: nil, pageLabel: nil, source: nil, excerpt: ""),
                ],
                model: "gpt-4.1-mini", embeddingModel: "text-embedding-3-small", collection: "docs", usage: usage,
                timings: ["embed_ms": 100.25, "retrieve_ms": 20, "queue_wait_ms": 3]
            )
        }

        @Test("reads back through Codable as the same answer, with and without costs", arguments: [true, false])
        func roundTrip(costs: Bool) throws {
            let answer = Self.answer(costs: costs)
            let decoded = try JSONDecoder().decode(RAGAnswer.self, from: Data(answer.json.jsonBytes))
            #expect(decoded == answer)
        }

        @Test("has the fields JSONEncoder wrote, unset ones left out, and scores with Float's digits")
        func shape() throws {
            let answer = Self.answer(costs: false)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let before = try JSONValue(parsing: try encoder.encode(answer))
            let now = try JSONValue(parsing: answer.json.jsonBytes)
            #expect(now.objectValue.map { Set($0.keys) } == before.objectValue.map { Set($0.keys) })
            #expect(now["usage"]?.objectValue.map { Set($0.keys) } == before["usage"]?.objectValue.map { Set($0.keys) })
            let sources = try #require(now["sources"]?.arrayValue)
            #expect(sources.map { $0.objectValue.map { Set($0.keys) } } == before["sources"]?.arrayValue?.map { $0.objectValue.map { Set($0.keys) } })
            let text = String(decoding: answer.json.jsonBytes, as: UTF8.self)
            #expect(text.contains(#""score":0.8123,"#), "written as \(text)")
            #expect(text.contains(#""answer":"Paris, \"the capital\" / see p. 3\n""#))
        }
    }
}
