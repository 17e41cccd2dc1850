import Foundation

/// Runs `rag.query` jobs: reads the `RAGQuery` payload, answers it with a `RAGPipeline` and returns
/// the `RAGAnswer` as JSON (snake_case keys).
///
/// A payload that breaks the query contract fails at once as `invalid_payload`. With `stream: true`
/// the answer's pieces go to the job's token stream as they come (`JobContext.stream`).
public struct RAGQueryHandler: JobHandler {
    /// `rag.query`.
    public let kind = RAGQuery.kind
    /// The pipeline that answers.
    public let pipeline: RAGPipeline

    /// A handler answering with `pipeline`.
    public init(pipeline: RAGPipeline) {
        self.pipeline = pipeline
    }

    /// Answers one attempt of the job.
    public func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
        let query = try RAGQuery(json: job.payload)
        let onStage: @Sendable (RAGPipeline.Stage, Duration) -> Void = { stage, duration in
            context.record(stage: stage.rawValue, duration: duration)
        }
        let answer: RAGAnswer
        if query.stream {
            await context.stream()
            answer = try await pipeline.answer(query, onStage: onStage) { piece in await context.stream(.text(piece)) }
            await context.stream(.end(finishReason: "stop"))
        } else {
            answer = try await pipeline.answer(query, onStage: onStage)
        }
        do {
            return Array(try Self.encoder.encode(answer))
        } catch {
            throw JobFailure(code: "internal", message: "could not encode the answer: \(error)", transient: false)
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
