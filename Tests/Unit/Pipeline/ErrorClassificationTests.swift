import Testing

@testable import RAGQueue

extension PipelineTests {
    @Suite("Error classification")
    struct ErrorClassificationTests {
        @Test("429 and 5xx are transient and keep the backend's retry-after")
        func transient() {
            let limited = BackendError.classify(
                status: 429, backend: "openai", providerCode: "rate_limit_exceeded", message: "Rate limit reached",
                headers: ["retry-after-ms": "1500"]
            )
            let failure = JobFailure(for: limited)
            #expect(failure.code == "rate_limited")
            #expect(failure.transient)
            #expect(failure.retryAfter == .milliseconds(1500))
            #expect(failure.message.contains("OpenAI rate limit reached (HTTP 429)"))
            let inPipeline = JobFailure(for: RAGError.failed(.embed, limited, collection: "c", model: "m"))
            #expect(inPipeline == failure)

            let server = JobFailure(for: BackendError.classify(status: 503, backend: "qdrant", message: "overloaded"))
            #expect(server.code == "server_error")
            #expect(server.transient)
            let down = JobFailure(for: BackendError(.connection, backend: "qdrant", message: "connection refused"))
            #expect(down.transient)
            #expect(down.code == "connection")
        }

        @Test("400, 401, quota, missing collection and vector size are permanent, with a hint")
        func permanent() {
            let unauthorized = JobFailure(for: BackendError.classify(
                status: 401, backend: "openai", providerCode: "invalid_api_key",
                message: "Incorrect API key provided: sk-invalid-abcdef123456"
            ))
            #expect(unauthorized.code == "unauthorized")
            #expect(!unauthorized.transient)
            #expect(unauthorized.message.contains("OPENAI_API_KEY"))
            #expect(!unauthorized.message.contains("abcdef123456"))

            let quota = JobFailure(for: BackendError.classify(status: 429, backend: "openai", providerCode: "insufficient_quota", message: "quota"))
            #expect(quota.code == "quota_exceeded")
            #expect(!quota.transient)
            #expect(quota.retryAfter == nil)

            // What a 404 means depends on the stage that met it: the pipeline says, not the message text.
            let notFound = BackendError.classify(status: 404, backend: "qdrant", message: "Not found")
            let missing = JobFailure(for: RAGError.failed(.retrieve, notFound, collection: "x", model: "m"))
            #expect(missing.code == "collection_not_found")
            #expect(!missing.transient)
            #expect(missing.message.contains("`x`"))

            let noModel = BackendError.classify(status: 404, backend: "openai", providerCode: "model_not_found", message: "no model")
            let model = JobFailure(for: RAGError.failed(.generate, noModel, collection: "x", model: "m"))
            #expect(model.code == "model_not_found")
            #expect(model.message.contains("OPENAI_CHAT_MODEL"))

            let wrongSize = BackendError.classify(status: 400, backend: "qdrant", message: "Wrong input: Vector dimension error: expected dim: 3072, got 1536")
            let size = JobFailure(for: RAGError.failed(.retrieve, wrongSize, collection: "x", model: "m"))
            #expect(size.code == "dimension_mismatch")
            #expect(!size.transient)

            let payload = JobFailure(for: QueryValidationError.invalid("top_k", "top_k must be between 1 and 20"))
            #expect(payload.code == "invalid_payload")
            #expect(!payload.transient)

            let bad = JobFailure(for: BackendError.classify(status: 400, backend: "openai", message: "bad"))
            #expect(bad.code == "bad_request")
            #expect(!bad.transient)
        }

        @Test("retry delays honour the backend's retry-after, else back off")
        func retryDelays() {
            var generator = SystemRandomNumberGenerator()
            let policy = RetryPolicy()
            let failure = JobFailure(for: BackendError.classify(status: 429, backend: "openai", message: "slow", headers: ["retry-after": "3"]))
            #expect(policy.delay(afterAttempt: 1, retryAfter: failure.retryAfter, using: &generator) == .seconds(3))
            let long = JobFailure(for: BackendError.classify(status: 503, backend: "openai", message: "x", headers: ["retry-after": "3600"]))
            #expect(policy.delay(afterAttempt: 1, retryAfter: long.retryAfter, using: &generator) == policy.maximumRetryAfter)
            let none = JobFailure(for: BackendError.classify(status: 500, backend: "openai", message: "x"))
            #expect(none.retryAfter == nil)
            #expect(policy.delay(afterAttempt: 2, retryAfter: none.retryAfter, using: &generator) <= policy.backoffCeiling(afterAttempt: 2))
        }
    }
}
