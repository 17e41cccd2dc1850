import ArgumentParser
import Foundation
import RAGQueue

/// `ragserve ingest PATH... --collection NAME`: loads, chunks, embeds and stores documents.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Index .txt, .md and .pdf files (directories walked) into a Qdrant collection.",
        discussion: "PDFs are read with pdftotext -layout (poppler-utils), page by page. Points use langchain-qdrant's "
            + "payload layout; ingesting a file again replaces its points. Embeddings are OpenAI's with OPENAI_API_KEY, "
            + "local otherwise: query with the same model you index with. With the answer cache on "
            + "(RAGQ_ANSWER_CACHE_TTL_SECONDS), answers cached from the collection are retired afterwards (VALKEY_URL)."
    )

    @Argument(help: "Files or directories to ingest.")
    var paths: [String]
    @Option(help: "Collection to fill (default: RAG_COLLECTION, learning_vectors); created when missing.")
    var collection: String?
    @Option(help: "Longest chunk in characters (default: INGEST_CHUNK_SIZE, 1000).")
    var chunkSize: Int?
    @Option(help: "Characters shared by neighbouring chunks (default: INGEST_CHUNK_OVERLAP, 200).")
    var chunkOverlap: Int?
    @Option(help: "Chunks embedded per request (default: INGEST_BATCH_SIZE, 64).")
    var batchSize: Int?

    func run() async throws {
        let configuration = try CommandSupport.configuration { configuration in
            if let chunkSize { configuration.ingest.chunkSize = chunkSize }
            if let chunkOverlap { configuration.ingest.chunkOverlap = chunkOverlap }
            if let batchSize { configuration.ingest.batchSize = batchSize }
        }
        let collection = self.collection ?? configuration.pipeline.rules.defaultCollection
        let logger = CommandSupport.logger("ragserve.ingest", configuration)
        let backends: RAGBackends
        do {
            backends = try RAGBackends(configuration: configuration, logger: logger)
        } catch {
            throw CommandSupport.fail(error)
        }
        let printer = IngestProgressPrinter()
        printer.line(
            "ingesting into `\(collection)` with \(backends.embeddings.modelName)"
                + (backends.usesLocalEmbeddings ? " (local: OPENAI_API_KEY is not set)" : "")
        )
        let start = ContinuousClock.now
        do {
            let summary = try await backends.ingester(configuration.ingest).ingest(paths: paths, into: collection) { printer.report($0) }
            printer.finish()
            printer.line(summary.description(elapsed: ContinuousClock.now - start))
            if configuration.answerCache.isEnabled {
                // Answers retrieved from the collection as it was must not answer again.
                let store = try CommandSupport.queueStore(configuration)
                defer { store.close() }
                let version = try await store.retireAnswers(of: collection)
                printer.line(RetireAnswersCommand.retired(collection, version: version))
            }
        } catch {
            printer.finish()
            await backends.httpClient.shutdown()
            throw CommandSupport.fail(error)
        }
        await backends.httpClient.shutdown()
    }
}
