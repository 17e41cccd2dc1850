import Foundation
import Testing

@testable import RAGQueue

extension PipelineTests {
    @Suite("rag.query payloads")
    struct RAGQueryHandlerTests {
        @Test("a bare question takes the defaults; an encoded RAGQuery round-trips")
        func decode() throws {
            let bare = try RAGQueryHandler.decode(Array(#"{"query":"What is a lease?"}"#.utf8))
            #expect(bare == RAGQuery(query: "What is a lease?"))
            let full = RAGQuery(query: "q", collection: "docs", topK: 7, filter: ["metadata.source": "a.pdf"], stream: true)
            #expect(try RAGQueryHandler.decode(Array(try JSONEncoder().encode(full))) == full)
        }

        @Test("unreadable payloads fail permanently as invalid_payload", arguments: [#"not json"#, #"{"collection":"x"}"#, #"{"query":3}"#])
        func invalid(payload: String) {
            #expect {
                try RAGQueryHandler.decode(Array(payload.utf8))
            } throws: { error in
                guard let failure = error as? JobFailure else { return false }
                return failure.code == "invalid_payload" && !failure.transient
            }
        }

        @Test("filters map to exact matches, lists to match-any; objects are refused")
        func filters() throws {
            let filter = try RAGPipeline.payloadFilter(["metadata.source": "a.pdf", "metadata.page": .array([1, 2])])
            #expect(filter == .all([.matchAny(key: "metadata.page", values: [1, 2]), .match(key: "metadata.source", value: "a.pdf")]))
            #expect(try RAGPipeline.payloadFilter([:]) == nil)
            #expect(throws: JobFailure.self) { try RAGPipeline.payloadFilter(["metadata": .object([:])]) }
        }
    }
}
