extension JobFailure {
    /// The failure to record for an error a handler threw: the one place where errors become retry
    /// decisions. Transient failures are retried while attempts remain, with the backend's delay
    /// when it gave one.
    public init(for error: any Error) {
        switch error {
        case let failure as JobFailure:
            self = failure
        case let error as RAGError:
            self.init(code: error.codeName, message: error.message, transient: error.isTransient, retryAfter: error.retryAfter)
        case let error as BackendError:
            self.init(
                code: error.code.description, message: error.explanation, transient: error.isTransient,
                retryAfter: error.isTransient ? error.retryAfter : nil
            )
        case let error as QueryValidationError:
            self.init(code: "invalid_payload", message: "the payload is not a valid query: \(error.message)", transient: false)
        case is JobInterrupted, is CancellationError:
            self.init(code: "interrupted", message: "the attempt was interrupted", transient: true)
        default:
            self.init(code: "internal", message: String(describing: error), transient: false)
        }
    }
}

extension JobFailure {
    /// Codes that say a backend is failing as a whole (5xx, timeouts, broken connections), not that
    /// the job is wrong: they feed the queue's circuit breaker (`CircuitPolicy`). A 429 is not one:
    /// provider pacing handles it.
    static let outageCodes: Set<String> = ["server_error", "timeout", "connection"]

    /// Whether this failure is one of `outageCodes` and transient.
    public var isBackendOutage: Bool { transient && Self.outageCodes.contains(code) }
}
