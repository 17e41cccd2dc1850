import FakeBackends
import Foundation
import Testing

@testable import RAGQueue
import RAGQueueTestSupport

/// Ingestion into the fake Qdrant, through the library and through `ragserve ingest`.
/// `swift test --filter IngestIntegrationTests`.
@Suite("Ingestion end to end")
struct IngestIntegrationTests {
    @Test("re-ingesting a file replaces its points; a shorter file leaves none of its old pages behind")
    func reingestReplaces() async throws {
        try await withOpenAI { openAI in
            try await withQdrant { qdrant in
                let corpus = try RAGCorpus.write()
                defer { try? FileManager.default.removeItem(at: corpus) }
                var configuration = RAGQueueConfiguration()
                configuration.openAI.apiKey = "sk-test-ingest"
                configuration.openAI.baseURL = openAI.baseURL
                configuration.qdrant.baseURL = qdrant.baseURL
                let backends = try RAGBackends(configuration: configuration, logger: testLogger("ingest"))
                let http = backends.httpClient
                let ingester = backends.ingester(configuration.ingest)
                do {
                    let first = try await ingester.ingest(paths: [corpus.path], into: "books")
                    #expect(first.createdCollection)
                    #expect(first.files == 2)
                    #expect(first.pages == 4)
                    #expect(first.dimension == 1536)
                    let info = try await backends.vectorStore.collectionInfo("books")
                    #expect(info?.dimension == 1536)
                    #expect(info?.pointCount == first.chunks)
                    // Sources are named below the ingested directory, never by this machine's path.
                    let all = try await backends.vectorStore.query(
                        VectorQuery(vector: try await backends.embeddings.embed("honeybees"), limit: 10), in: "books"
                    )
                    let sources = Set(all.compactMap { $0.payload["metadata"]?["source"]?.stringValue })
                    #expect(sources == ["guide.pdf", "bread.md"], "\(sources)")

                    let again = try await ingester.ingest(paths: [corpus.path], into: "books")
                    #expect(!again.createdCollection)
                    #expect(try await backends.vectorStore.collectionInfo("books")?.pointCount == first.chunks)

                    // guide.pdf loses its third page.
                    let pdf = corpus.appendingPathComponent("guide.pdf")
                    try Data(MinimalPDF.document(pages: Array(RAGCorpus.pdfPages.prefix(2)))).write(to: pdf)
                    let shorter = try await ingester.ingest(paths: [pdf.path], into: "books")
                    #expect(shorter.pages == 2)
                    #expect(try await backends.vectorStore.collectionInfo("books")?.pointCount == first.chunks - 1)
                    let vector = try await backends.embeddings.embed("lighthouse keeper lamp")
                    let hits = try await backends.vectorStore.query(
                        VectorQuery(vector: vector, limit: 10, filter: .match(key: "metadata.page_label", value: "3")), in: "books"
                    )
                    #expect(hits.isEmpty)
                } catch {
                    await http.shutdown()
                    throw error
                }
                await http.shutdown()
            }
        }
    }

    @Test("ragserve ingest without an OpenAI key stores local embeddings and prints a summary; binary files are skipped by content")
    func command() async throws {
        try await withQdrant { qdrant in
            let corpus = try RAGCorpus.write()
            defer { try? FileManager.default.removeItem(at: corpus) }
            // Named as text, but not: a binary file and a "PDF" that is plain text.
            try Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00] + Array(repeating: 0xFF, count: 4096))
                .write(to: corpus.appendingPathComponent("program.md"))
            try Data("just words".utf8).write(to: corpus.appendingPathComponent("fake.pdf"))
            var environment = ProcessInfo.processInfo.environment
            for name in RAGQueueConfiguration.environmentVariables.map(\.name) { environment[name] = nil }
            environment["QDRANT_URL"] = qdrant.baseURL
            let (code, output) = try await runProduct("ragserve", ["ingest", corpus.path, "--collection", "local_docs"], environment: environment)
            #expect(code == 0, "\(output)")
            #expect(output.contains("(local: OPENAI_API_KEY is not set)"), "\(output)")
            #expect(output.contains("read guide.pdf: 3 page(s)"), "\(output)")
            #expect(!output.contains("read \(corpus.path)"), "sources are relative to the directory: \(output)")
            #expect(output.contains("program.md: binary content (NUL bytes), not text; skipped"), "\(output)")
            #expect(output.contains("fake.pdf: not a PDF (no %PDF- header); skipped"), "\(output)")
            #expect(
                output.contains("done: 2 file(s), 4 page(s), 4 chunk(s) of 384-d vectors in `local_docs` (created) in "), "\(output)"
            )
            #expect(output.contains("; 2 file(s) skipped (not text)"), "\(output)")

            let http = try CurlHTTPClient()
            let store = QdrantVectorStore(configuration: .init(baseURL: qdrant.baseURL), httpClient: http)
            let info = try await store.collectionInfo("local_docs")
            await http.shutdown()
            #expect(info?.dimension == 384)
            #expect(info?.pointCount == 4)
        }
    }
}
