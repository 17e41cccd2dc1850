import FakeBackends
import Foundation
import Logging
import Testing

@testable import RAGQueue
import RAGQueueTestSupport

/// A corpus with one topic per page or file, so a question's right page is known.
enum RAGCorpus {
    /// Pages of `guide.pdf`, each about one topic.
    static let pdfPages: [[String]] = [
        [
            "Volcanoes erupt when magma rises through the crust.",
            "Lava flows downhill and cools into basalt rock.",
            "Volcanic ash from an eruption can ground aircraft.",
        ],
        [
            "Honeybees live in a hive ruled by a queen bee.",
            "Worker bees gather pollen and nectar from flowers.",
            "Bees turn nectar into honey and store it in wax combs.",
        ],
        [
            "Lighthouses guide ships along a dangerous coast.",
            "A lighthouse keeper tended the lamp and its lens every night.",
            "The lighthouse beam rotates so sailors can identify it.",
        ],
    ]

    /// `bread.md`: no pages.
    static let markdown = """
        # Sourdough bread

        Sourdough bread rises with a starter of wild yeast and bacteria.
        Bakers feed the starter with flour and water before baking the bread.
        """

    /// Writes `guide.pdf` and `bread.md` into a fresh directory; returns the directory.
    static func write() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragq-corpus-\(JobID().rawValue.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(MinimalPDF.document(pages: pdfPages)).write(to: directory.appendingPathComponent("guide.pdf"))
        try Data(markdown.utf8).write(to: directory.appendingPathComponent("bread.md"))
        return directory
    }
}

/// Writes small, valid PDFs (Helvetica text, one line per string) that `pdftotext` reads.
enum MinimalPDF {
    static func document(pages: [[String]]) -> [UInt8] {
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
        let kids = pages.indices.map { "\(4 + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        for (index, lines) in pages.enumerated() {
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents \(5 + 2 * index) 0 R >>"
            )
            let text = lines.map { "(\(escape($0))) Tj T*" }.joined(separator: " ")
            let stream = "BT /F1 11 Tf 14 TL 72 720 Td \(text) ET"
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        var output = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(output.utf8.count)
            output += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = output.utf8.count
        output += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let digits = String(offset)
            output += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
        }
        output += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(output.utf8)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
    }
}

/// Valkey, fake OpenAI and Qdrant, an ingested corpus and an in-process worker, for one test.
struct RAGStack: Sendable {
    let harness: QueueHarness
    let openAI: FakeOpenAIServer
    let qdrant: FakeQdrantServer
    let configuration: RAGQueueConfiguration
    let corpus: URL
    let collection: String

    /// The corpus's PDF path, as stored in `metadata.source`.
    /// The source the guide is stored under: its path below the ingested directory, never this machine's path.
    var pdfSource: String { "guide.pdf" }

    /// Enqueues a question and returns its id.
    func ask(_ query: RAGQuery, maxAttempts: Int? = nil) async throws -> JobID {
        try await harness.store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: query.json, maxAttempts: maxAttempts)).id
    }

    /// The stored answer of a finished job.
    func answer(of record: JobRecord) throws -> RAGAnswer {
        guard let result = record.result else {
            Issue.record("job \(record.id) has no result (status \(record.status), error \(String(describing: record.error)))")
            throw CancellationError()
        }
        return try JSONDecoder().decode(RAGAnswer.self, from: Data(result))
    }
}

/// The configuration pointing at the harness's Valkey and the fakes.
func ragConfiguration(harness: QueueHarness, openAI: FakeOpenAIServer, qdrant: FakeQdrantServer, collection: String) -> RAGQueueConfiguration {
    var configuration = RAGQueueConfiguration()
    configuration.valkeyURL = harness.server.url
    configuration.queue = harness.configuration
    configuration.openAI.apiKey = "sk-test-pipeline"
    configuration.openAI.baseURL = openAI.baseURL
    configuration.http.timeout = .seconds(10)
    configuration.qdrant.baseURL = qdrant.baseURL
    configuration.pipeline.rules.defaultCollection = collection
    configuration.worker.concurrency = 8
    configuration.worker.shutdownGrace = .seconds(5)
    return configuration
}

/// Ingests the corpus through a clean fake OpenAI (so the worker's fake can have faults of its own).
func ingestCorpus(configuration: RAGQueueConfiguration, corpus: URL) async throws -> DocumentIngester.Summary {
    try await withOpenAI { clean in
        var ingestConfiguration = configuration
        ingestConfiguration.openAI.baseURL = clean.baseURL
        ingestConfiguration.ingest.chunkSize = 400
        ingestConfiguration.ingest.chunkOverlap = 50
        let backends = try RAGBackends(configuration: ingestConfiguration, logger: testLogger("ingest"))
        do {
            let summary = try await backends.ingester(ingestConfiguration.ingest)
                .ingest(paths: [corpus.path], into: ingestConfiguration.pipeline.rules.defaultCollection)
            await backends.httpClient.shutdown()
            return summary
        } catch {
            await backends.httpClient.shutdown()
            throw error
        }
    }
}

/// Runs `body` with a fresh stack whose worker runs in this process; everything is torn down after.
func withRAGStack<T>(
    openAI openAIConfiguration: FakeOpenAIServer.Configuration = .init(),
    configure: @escaping (inout RAGQueueConfiguration) -> Void = { _ in },
    startWorker: Bool = true,
    _ body: (RAGStack) async throws -> T
) async throws -> T {
    try await withQueue(configure: { $0.retry.initialBackoff = .milliseconds(100) }) { harness in
        try await withOpenAI(openAIConfiguration) { openAI in
            try await withQdrant { qdrant in
                let corpus = try RAGCorpus.write()
                defer { try? FileManager.default.removeItem(at: corpus) }
                let collection = "corpus_\(JobID().rawValue.prefix(6))"
                var configuration = ragConfiguration(harness: harness, openAI: openAI, qdrant: qdrant, collection: collection)
                _ = try await ingestCorpus(configuration: configuration, corpus: corpus)
                configure(&configuration)
                let stack = RAGStack(
                    harness: harness, openAI: openAI, qdrant: qdrant, configuration: configuration, corpus: corpus, collection: collection
                )
                guard startWorker else { return try await body(stack) }
                let application = try await WorkerApplication(configuration: configuration, logger: testLogger("worker"))
                let running = Task { try await application.worker.run() }
                do {
                    let result = try await body(stack)
                    application.worker.stop()
                    try await running.value
                    await application.close()
                    return result
                } catch {
                    application.worker.stop()
                    _ = try? await running.value
                    await application.close()
                    throw error
                }
            }
        }
    }
}
