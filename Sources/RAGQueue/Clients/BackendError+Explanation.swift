extension BackendError {
    /// The error for a person: the backend, what went wrong and what to do, then the backend's own
    /// words (already redacted of API keys). `OpenAI rate limit reached (HTTP 429); retried later: ...`.
    public var explanation: String {
        "\(backendName) \(summary): \(message)"
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
        case .rateLimited: return "rate limit reached\(status); retried later"
        case .quotaExceeded: return "quota exhausted\(status); add credit or use another key"
        case .serverError: return "server error\(status); retried later"
        case .timeout: return "call timed out; retried later"
        case .connection: return "cannot be reached; retried later"
        case .unauthorized:
            return "refused the API key\(status); check \(backend == "qdrant" ? "QDRANT_API_KEY" : "OPENAI_API_KEY")"
        case .forbidden: return "refused the request\(status); the key lacks permission"
        case .notFound: return "not found\(status)"
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
