import Testing

@testable import RAGQueue

extension PipelineTests {
    @Suite("Text chunking")
    struct TextChunkerTests {
        static let sentences = (1...60).map { "Sentence number \($0) talks about topic \($0 % 7)." }

        @Test("chunks respect the size and overlap their neighbours")
        func sizeAndOverlap() {
            let text = Self.sentences.joined(separator: " ")
            let chunker = TextChunker(chunkSize: 200, chunkOverlap: 60)
            let chunks = chunker.chunks(of: text)
            #expect(chunks.count > 5)
            for chunk in chunks { #expect(chunk.count <= 200) }
            for (previous, next) in zip(chunks, chunks.dropFirst()) {
                // The next chunk starts with a sentence that ends the previous one.
                let firstSentence = next.prefix(while: { $0 != "." }) + "."
                #expect(previous.contains(firstSentence), "no overlap between \(previous) and \(next)")
            }
            // Every sentence survives.
            for sentence in Self.sentences { #expect(chunks.contains { $0.contains(sentence) }) }
        }

        @Test("cuts fall on sentence boundaries when sentences fit")
        func sentenceBoundaries() {
            let text = Self.sentences.joined(separator: " ")
            for chunk in TextChunker(chunkSize: 150, chunkOverlap: 0).chunks(of: text) {
                #expect(chunk.hasPrefix("Sentence"))
                #expect(chunk.hasSuffix("."))
            }
        }

        @Test("paragraphs are kept whole when they fit")
        func paragraphs() {
            let paragraphs = ["First paragraph about apples. It is short.", "Second paragraph about pears.", "Third one about plums."]
            let chunks = TextChunker(chunkSize: 50, chunkOverlap: 0).chunks(of: paragraphs.joined(separator: "\n\n"))
            #expect(chunks == paragraphs)
        }

        @Test("short text is one chunk; blank text none; an endless word is cut hard")
        func edges() {
            #expect(TextChunker().chunks(of: "  Just this.  ") == ["Just this."])
            #expect(TextChunker().chunks(of: " \n\n \t").isEmpty)
            let long = String(repeating: "x", count: 250)
            let chunks = TextChunker(chunkSize: 100, chunkOverlap: 0).chunks(of: long)
            #expect(chunks.map(\.count) == [100, 100, 50])
        }

        @Test("overlap is clamped below the size")
        func clamp() {
            let chunker = TextChunker(chunkSize: 10, chunkOverlap: 50)
            #expect(chunker.chunkOverlap == 9)
        }
    }
}
