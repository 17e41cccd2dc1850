import Foundation
import Logging

/// Runs `rag.query` jobs: decodes the `RAGQuery` payload, answers it with a `RAGPipeline` and
/// returns the `RAGAnswer` as JSON (snake_case keys).
///
/// A payload that cannot be read fails at once as `invalid_payload`. With `stream: true` and a
/// publisher, the answer's pieces go to the job's token stream as they come (see
/// `TokenStreamPublisher`); a failure to publish is logged and never fails the job.
public struct RAGQueryHandler: JobHandler {
    /// `rag.query`.
    public let kind = RAGQuery.kind
    /// The pipeline that answers.
    public let pipeline: RAGPipeline
    /// Where streamed answers go; nil answers streamed jobs in one piece.
    public let tokens: TokenStreamPublisher?

    /// A handler answering with `pipeline`, streaming through `tokens` when jobs ask for it.
    public init(pipeline: RAGPipeline, tokens: TokenStreamPublisher? = nil) {
        self.pipeline = pipeline
        self.tokens = tokens
    }

    /// Answers one attempt of the job.
    public func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
        let query = try Self.decode(job.payload)
        let answer: RAGAnswer
        if query.stream, let tokens {
            answer = try await runStreamed(query, job: job, context: context, tokens: tokens)
        } else {
            answer = try await pipeline.answer(query, context: context)
        }
        do {
            return Array(try Self.encoder.encode(answer))
        } catch {
            throw JobFailure(code: "internal", message: "could not encode the answer: \(error)", transient: false)
        }
    }

    private func runStreamed(_ query: RAGQuery, job: ClaimedJob, context: JobContext, tokens: TokenStreamPublisher) async throws -> RAGAnswer {
        let sink = StreamSink(publisher: tokens, id: job.id, logger: context.logger)
        await sink.run { try await tokens.begin(job.id, attempt: job.attempt) }
        do {
            let answer = try await pipeline.answer(query, context: context) { piece in
                await sink.run { try await tokens.publish(job.id, text: piece) }
            }
            await sink.run { try await tokens.end(job.id, finishReason: nil) }
            return answer
        } catch {
            let failure = error is JobInterrupted
                ? JobFailure(code: "interrupted", message: "the attempt was interrupted", transient: true)
                : Worker.classify(error)
            let final = !failure.transient || job.attempt >= job.maxAttempts
            await sink.run { try await tokens.fail(job.id, failure: failure, final: final) }
            throw error
        }
    }

    /// Reads a payload; missing `top_k` and `stream` take their defaults.
    static func decode(_ payload: [UInt8]) throws -> RAGQuery {
        let wire: WireQuery
        do {
            wire = try JSONDecoder().decode(WireQuery.self, from: Data(payload))
        } catch {
            throw JobFailure(
                code: "invalid_payload",
                message: "the payload is not a rag.query object (\(Self.describe(error)))",
                transient: false
            )
        }
        return RAGQuery(
            query: wire.query, collection: wire.collection, topK: wire.topK ?? 4, filter: wire.filter,
            stream: wire.stream ?? false, callbackURL: wire.callbackURL
        )
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        case .dataCorrupted?: "not valid JSON"
        default: "unreadable"
        }
    }

    /// `RAGQuery` as it may arrive, with optional defaults.
    private struct WireQuery: Decodable {
        var query: String
        var collection: String?
        var topK: Int?
        var filter: [String: JSONValue]?
        var stream: Bool?
        var callbackURL: String?

        enum CodingKeys: String, CodingKey {
            case query, collection, filter, stream
            case topK = "top_k"
            case callbackURL = "callback_url"
        }
    }
}

/// Publishes a stream's entries, logging the first failure and skipping the rest of the attempt's entries.
private actor StreamSink {
    let publisher: TokenStreamPublisher
    let id: JobID
    let logger: Logger
    private var broken = false

    init(publisher: TokenStreamPublisher, id: JobID, logger: Logger) {
        self.publisher = publisher
        self.id = id
        self.logger = logger
    }

    func run(_ write: @Sendable () async throws -> Void) async {
        guard !broken else { return }
        do {
            try await write()
        } catch {
            broken = true
            logger.warning("cannot publish the answer's tokens; the answer is still stored", metadata: ["error": "\(error)"])
        }
    }
}
