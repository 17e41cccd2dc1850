import Foundation
import Logging

/// Runs `rag.query` jobs: reads the `RAGQuery` payload, answers it with a `RAGPipeline` and returns
/// the `RAGAnswer` as JSON (snake_case keys).
///
/// A payload that breaks the query contract fails at once as `invalid_payload`. With `stream: true`
/// the answer's pieces go to the job's token stream as they come (`JobContext.stream`).
///
/// A job with a semantic answer-cache scope (`ClaimedJob.answerScope`) records its question's
/// embedding, which joins the scope's index when the job finishes; with `similarAnswers`, a cached
/// answer to a question of the scope at least that similar answers it instead (streamed whole).
public struct RAGQueryHandler: JobHandler {
    /// `rag.query`.
    public let kind = RAGQuery.kind
    /// The pipeline that answers.
    public let pipeline: RAGPipeline
    /// The semantic answer cache; nil when it is off.
    public let similarAnswers: SemanticAnswerIndex?

    /// A handler answering with `pipeline`, reusing similar questions' answers from `similarAnswers`.
    public init(pipeline: RAGPipeline, similarAnswers: SemanticAnswerIndex? = nil) {
        self.pipeline = pipeline
        self.similarAnswers = similarAnswers
    }

    /// Answers one attempt of the job.
    public func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
        let query = try RAGQuery(json: job.payload)
        let onStage: @Sendable (RAGPipeline.Stage, Duration) -> Void = { stage, duration in
            context.record(stage: stage.rawValue, duration: duration)
        }
        var answer: RAGAnswer
        let reuse = job.answerScope.map { scope in reuser(scope: scope, stream: query.stream, context: context) }
        do {
            if query.stream {
                await context.stream()
                answer = try await pipeline.answer(query, onStage: onStage, onDelta: { piece in await context.stream(.text(piece)) }, reuse: reuse)
                await context.stream(.end(finishReason: "stop"))
            } else {
                answer = try await pipeline.answer(query, onStage: onStage, reuse: reuse)
            }
        } catch {
            // What the stages before the failure used was paid for all the same.
            context.record(usage: error.usage.jobUsage)
            throw error
        }
        context.record(usage: answer.usage.jobUsage)
        answer.timings["queue_wait_ms"] = Double(job.queueWaitMilliseconds)
        return answer.json.jsonBytes
    }

    /// What the pipeline calls with the question's embedding: records it for the scope's index and
    /// returns the nearest cached answer of the scope at or above the threshold, if there is one.
    private func reuser(scope: String, stream: Bool, context: JobContext) -> @Sendable ([Float]) async -> RAGAnswer? {
        let index = similarAnswers
        return { vector in
            context.record(answerVector: vector)
            guard let index else { return nil }
            do {
                guard let (cached, similarity) = try await index.nearest(to: vector, in: scope) else { return nil }
                let answer = try JSONDecoder().decode(RAGAnswer.self, from: Data(cached.result))
                context.record(reused: ReusedAnswer(job: cached.job, similarity: similarity, costMicroUSD: cached.costMicroUSD))
                if stream { await context.stream(.text(answer.answer)) }
                return answer
            } catch {
                // The cache is an optimisation: without it the question is answered as usual.
                context.logger.warning("semantic answer cache unavailable", metadata: ["error": "\(error)"])
                return nil
            }
        }
    }
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
