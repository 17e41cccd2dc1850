import Testing

@testable import RAGQueue

extension PipelineTests {
    @Suite("Ingestion chunks and pages")
    struct IngestChunksTests {
        static func ingester(chunkSize: Int = 80, overlap: Int = 20) -> DocumentIngester {
            var configuration = DocumentIngester.Configuration()
            configuration.chunkSize = chunkSize
            configuration.chunkOverlap = overlap
            return DocumentIngester(configuration: configuration, embeddings: LocalEmbeddings(), vectorStore: InMemoryVectorStore())
        }

        @Test("form feeds separate pages; a trailing one ends the last page")
        func paging() {
            let document = DocumentLoader.paged("one\u{0C}two\u{0C}three\u{0C}", source: "b.pdf", alwaysPaged: true)
            #expect(document.pages.map(\.text) == ["one", "two", "three"])
            #expect(document.pages.map(\.index) == [0, 1, 2])
            #expect(document.pages.map(\.label) == ["1", "2", "3"])
            #expect(document.totalPages == 3)
            let plain = DocumentLoader.paged("no pages here", source: "a.txt", alwaysPaged: false)
            #expect(plain.totalPages == nil)
            #expect(plain.pages.map(\.index) == [nil])
        }

        @Test("chunks keep their page's number and the langchain metadata")
        func pages() {
            let page0 = String(repeating: "Apples grow on trees. ", count: 10)
            let page1 = "Pears are sweet."
            let document = DocumentLoader.paged(page0 + "\u{0C}" + page1, source: "fruit.pdf", alwaysPaged: true)
            let chunks = Self.ingester().chunks(of: document)
            #expect(chunks.count > 2)
            #expect(chunks.allSatisfy { $0.text.count <= 80 })
            let last = chunks[chunks.count - 1]
            #expect(last.text == page1)
            #expect(last.metadata == ["source": "fruit.pdf", "page": 1, "page_label": "2", "total_pages": 2])
            #expect(chunks.dropLast().allSatisfy { $0.metadata["page"] == .integer(0) && $0.text.contains("Apples") })
        }

        @Test("text files without form feeds carry only their source")
        func textMetadata() {
            let chunks = Self.ingester().chunks(of: DocumentLoader.paged("Short note.", source: "n.md", alwaysPaged: false))
            #expect(chunks.map(\.metadata) == [["source": "n.md"]])
        }

        @Test("point ids are stable UUIDs that differ by source, page and chunk")
        func ids() {
            let id = DocumentIngester.pointID(source: "a.pdf", page: 1, chunk: 0)
            #expect(id == DocumentIngester.pointID(source: "a.pdf", page: 1, chunk: 0))
            let others = [
                DocumentIngester.pointID(source: "b.pdf", page: 1, chunk: 0),
                DocumentIngester.pointID(source: "a.pdf", page: 2, chunk: 0),
                DocumentIngester.pointID(source: "a.pdf", page: 1, chunk: 1),
                DocumentIngester.pointID(source: "a.pdf", page: nil, chunk: 0),
            ]
            #expect(Set(others + [id]).count == 5)
            guard case .uuid(let text) = id else {
                Issue.record("not a UUID: \(id)")
                return
            }
            #expect(text.wholeMatch(of: #/[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/#) != nil)
        }
    }
}
