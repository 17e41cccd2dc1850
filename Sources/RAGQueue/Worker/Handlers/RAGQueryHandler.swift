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
        var answer: RAGAnswer
        do {
            if query.stream {
                await context.stream()
                answer = try await pipeline.answer(query, onStage: onStage) { piece in await context.stream(.text(piece)) }
                await context.stream(.end(finishReason: "stop"))
            } else {
                answer = try await pipeline.answer(query, onStage: onStage)
            }
        } catch {
            // What the stages before the failure used was paid for all the same.
            context.record(usage: error.usage.jobUsage)
            throw error
        }
        context.record(usage: answer.usage.jobUsage)
        answer.timings["queue_wait_ms"] = Double(max(0, job.claimedAtMilliseconds - job.enqueuedAtMilliseconds))
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

extension RAGUsage {
    /// The counters the queue keeps per job and per tenant, cost in millionths of a dollar.
    var jobUsage: JobUsage {
        JobUsage([
            JobUsage.embeddingTokens: Int64(embeddingTokens), JobUsage.promptTokens: Int64(promptTokens),
            JobUsage.completionTokens: Int64(completionTokens), JobUsage.tokens: Int64(totalTokens),
            JobUsage.vectorSearches: Int64(vectorSearches), JobUsage.costMicroUSD: Int64((costUSD * 1_000_000).rounded()),
        ])
    }
}
