extension BackendError: ClassifiedError {
    /// The job failure for this error: transient for rate limits, 5xx, timeouts and broken
    /// connections (with the backend's retry-after), permanent otherwise, with a hint to act on.
    /// The message is already redacted of API keys.
    public var jobFailure: JobFailure {
        JobFailure(
            code: failureCode,
            message: "\(backendName) \(summary): \(message)",
            transient: isTransient,
            retryAfter: isTransient ? retryAfter : nil
        )
    }

    /// A stable code for the job record and metrics: `rate_limited`, `unauthorized`, `model_not_found`, ...
    var failureCode: String {
        if code == .notFound {
            if providerCode == "model_not_found" { return "model_not_found" }
            if message.contains("Collection") || message.contains("collection") { return "collection_not_found" }
        }
        return code.description
    }

    private var backendName: String {
        switch backend {
        case "openai": "OpenAI"
        case "qdrant": "Qdrant"
        default: backend
        }
    }

    /// What went wrong and what to do, before the backend's own words.
    private var summary: String {
        let status = self.status.map { " (HTTP \($0))" } ?? ""
        switch code {
        case .rateLimited: return "rate limit reached\(status); the job is retried later"
        case .quotaExceeded: return "quota exhausted\(status); add credit or use another key"
        case .serverError: return "server error\(status); the job is retried later"
        case .timeout: return "call timed out; the job is retried later"
        case .connection: return "cannot be reached; the job is retried later"
        case .unauthorized:
            return "refused the API key\(status); check \(backend == "qdrant" ? "QDRANT_API_KEY" : "OPENAI_API_KEY")"
        case .forbidden: return "refused the request\(status); the key lacks permission"
        case .notFound:
            if failureCode == "model_not_found" { return "does not know the model\(status); check OPENAI_CHAT_MODEL and OPENAI_EMBEDDING_MODEL" }
            return "not found\(status)"
        case .dimensionMismatch:
            return "vector size mismatch; query with the embedding model the collection was indexed with, or re-index"
        case .badRequest: return "rejected the request\(status)"
        case .tls: return "TLS failed; check the URL and certificates"
        case .invalidConfiguration: return "is misconfigured; check its URL"
        case .invalidResponse: return "answered something unreadable"
        case .canceled: return "call was cancelled"
        default: return "failed\(status)"
        }
    }
}
