import Crypto
import Foundation

/// Loads files, cuts them into chunks, embeds them in batches and stores them in a collection
/// in langchain-qdrant's payload layout, so the seed's and langchain's readers find them.
///
/// Each point's payload is `{"page_content": <chunk>, "metadata": {"source", "page" (0-based),
/// "page_label", "total_pages"}}` (page fields only for paged documents). Point ids are UUIDs
/// derived from source, page and chunk number, and a file's old points are deleted before its
/// new ones are stored, so ingesting a file again replaces it.
public struct DocumentIngester: Sendable {
    /// How documents are cut and stored.
    public struct Configuration: Sendable, Hashable {
        /// Longest chunk, in characters. Default 1,000.
        public var chunkSize: Int = 1000
        /// Characters repeated between neighbouring chunks of a page. Default 200.
        public var chunkOverlap: Int = 200
        /// Chunks embedded and upserted per request. Default 64 (langchain-qdrant's batch size).
        public var batchSize: Int = 64

        /// The defaults.
        public init() {}
    }

    /// One chunk ready to embed.
    public struct Chunk: Sendable, Hashable {
        /// The point id.
        public var id: PointID
        /// The chunk's text.
        public var text: String
        /// The `metadata` object of the payload.
        public var metadata: [String: JSONValue]
    }

    /// How far ingestion has come.
    public enum Progress: Sendable, Hashable {
        /// A file was read and cut: its pages and chunks.
        case loaded(source: String, pages: Int, chunks: Int)
        /// A file was skipped: its content is not text (see `IngestError.notText`).
        case skipped(IngestError)
        /// Chunks stored so far, of all files.
        case stored(done: Int, total: Int)
    }

    /// What an ingestion did.
    public struct Summary: Sendable, Hashable {
        /// The collection filled.
        public var collection: String
        /// Whether the collection was created.
        public var createdCollection: Bool
        /// Files read.
        public var files: Int
        /// Files skipped because their content is not text.
        public var skipped: Int
        /// Pages read.
        public var pages: Int
        /// Chunks stored.
        public var chunks: Int
        /// The embedding model and its dimension.
        public var embeddingModel: String
        /// The vectors' length.
        public var dimension: Int

        /// One line for a person: what was stored where, and how long it took.
        public func description(elapsed: Duration) -> String {
            "done: \(files) file(s), \(pages) page(s), \(chunks) chunk(s) of \(dimension)-d vectors in `\(collection)`"
                + (createdCollection ? " (created)" : "") + " in " + String(format: "%.1f", elapsed.seconds) + " s"
                + (skipped > 0 ? "; \(skipped) file(s) skipped (not text)" : "")
        }
    }

    /// The settings in use.
    public let configuration: Configuration
    /// Embeds the chunks.
    public let embeddings: any EmbeddingModel
    /// Stores them.
    public let vectorStore: any VectorStore

    /// An ingester storing into `vectorStore` with `embeddings`.
    public init(configuration: Configuration, embeddings: any EmbeddingModel, vectorStore: any VectorStore) {
        self.configuration = configuration
        self.embeddings = embeddings
        self.vectorStore = vectorStore
    }

    /// Ingests the files (directories walked) into `collection`, created with the embedding model's
    /// dimension when missing, reporting progress as it goes.
    public func ingest(paths: [String], into collection: String, progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Summary {
        do {
            try CollectionName.check(collection)
        } catch {
            throw IngestError(error.message)
        }
        let files = try DocumentLoader.files(in: paths)
        guard !files.isEmpty else { throw IngestError("no .txt, .md or .pdf files found in \(paths.joined(separator: " "))") }
        var documents: [(source: String, chunks: [Chunk])] = []
        var pages = 0
        var skipped = 0
        for file in files {
            let document: LoadedDocument
            do throws(IngestError) {
                document = try await DocumentLoader.load(file)
            } catch {
                guard error.isNotText else { throw error }
                skipped += 1
                progress(.skipped(error))
                continue
            }
            let chunks = self.chunks(of: document)
            pages += document.pages.count
            progress(.loaded(source: file.source, pages: document.pages.count, chunks: chunks.count))
            documents.append((file.source, chunks))
        }
        guard !documents.isEmpty else { throw IngestError("no text to ingest: every file was skipped") }
        let dimension = try await embeddings.dimension()
        let existed = try await vectorStore.collectionExists(collection)
        try await vectorStore.ensureCollection(collection, dimension: dimension)

        let total = documents.reduce(0) { $0 + $1.chunks.count }
        var done = 0
        progress(.stored(done: 0, total: total))
        for document in documents {
            if existed { try await removePoints(of: document.source, in: collection) }
            for start in stride(from: 0, to: document.chunks.count, by: max(1, configuration.batchSize)) {
                try Task.checkCancellation()
                let batch = Array(document.chunks[start..<min(start + configuration.batchSize, document.chunks.count)])
                let vectors = try await embeddings.embed(batch.map(\.text))
                guard vectors.count == batch.count else {
                    throw BackendError(.invalidResponse, backend: embeddings.modelName, message: "expected \(batch.count) embeddings, got \(vectors.count)")
                }
                let points = zip(batch, vectors).map { chunk, vector in
                    VectorPoint.document(id: chunk.id, vector: vector, text: chunk.text, metadata: chunk.metadata)
                }
                try await vectorStore.upsert(points, into: collection)
                done += batch.count
                progress(.stored(done: done, total: total))
            }
        }
        return Summary(
            collection: collection, createdCollection: !existed, files: documents.count, skipped: skipped, pages: pages, chunks: total,
            embeddingModel: embeddings.modelName, dimension: dimension
        )
    }

    /// The chunks of a document, page by page (chunks never span pages), with their metadata and ids.
    public func chunks(of document: LoadedDocument) -> [Chunk] {
        let chunker = TextChunker(chunkSize: configuration.chunkSize, chunkOverlap: configuration.chunkOverlap)
        var chunks: [Chunk] = []
        for page in document.pages {
            var metadata: [String: JSONValue] = ["source": .string(document.source)]
            if let index = page.index { metadata["page"] = .integer(index) }
            if let label = page.label { metadata["page_label"] = .string(label) }
            if let total = document.totalPages { metadata["total_pages"] = .integer(total) }
            for (number, text) in chunker.chunks(of: page.text).enumerated() {
                let id = Self.pointID(source: document.source, page: page.index, chunk: number)
                chunks.append(Chunk(id: id, text: text, metadata: metadata))
            }
        }
        return chunks
    }

    /// A name-based UUID (version 5 layout, SHA-1) of source, page and chunk number: the same
    /// chunk of the same file always gets the same id.
    public static func pointID(source: String, page: Int?, chunk: Int) -> PointID {
        let name = "ragqueue:\(source)\u{0}\(page.map(String.init) ?? "-")\u{0}\(chunk)"
        var hex = Array(Insecure.SHA1.hash(data: Array(name.utf8)).lowercaseHex.prefix(32))
        hex[12] = "5"
        let variant = Int(String(hex[16]), radix: 16) ?? 0
        hex[16] = Array(String((variant & 0x3) | 0x8, radix: 16))[0]
        let text = String(hex)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(text[text.index(text.startIndex, offsetBy: range.lowerBound)..<text.index(text.startIndex, offsetBy: range.upperBound)])
        }
        return .uuid(parts.joined(separator: "-"))
    }

    /// Deletes the points a file stored before, by `metadata.source`.
    private func removePoints(of source: String, in collection: String) async throws {
        try await vectorStore.deletePoints(matching: .match(key: "metadata.source", value: .string(source)), in: collection)
    }
}
