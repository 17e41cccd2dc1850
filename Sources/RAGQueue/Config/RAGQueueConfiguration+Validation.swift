extension RAGQueueConfiguration {
    /// Checks values that depend on each other and those set in code; errors name the variable to fix.
    public func validate() throws(ConfigurationError) {
        do throws(QueueError) {
            try ValkeyJobStore.checkURL(valkeyURL)
        } catch {
            throw ConfigurationError(setting: "VALKEY_URL", error.message)
        }
        do throws(QueueError) {
            try queue.validate()
        } catch {
            throw ConfigurationError(setting: Self.queueSetting(for: error.message), error.message)
        }
        _ = try Parse.httpURL(openAI.baseURL, "OPENAI_BASE_URL")
        _ = try Parse.httpURL(qdrant.baseURL, "QDRANT_URL")
        if openAI.apiKey.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ConfigurationError(setting: "OPENAI_API_KEY", "must not contain spaces or line breaks")
        }
        for (name, value) in [("OPENAI_EMBEDDING_MODEL", embeddings.model), ("OPENAI_CHAT_MODEL", chat.model)]
        where value.isEmpty || value.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ConfigurationError(setting: name, "must be a non-empty name without spaces, got \"\(value)\"")
        }
        do throws(QueryValidationError) {
            try pipeline.rules.check()
        } catch {
            let setting = switch error.field {
            case "default collection": "RAG_COLLECTION"
            case "maxTopK": "RAG_MAX_TOP_K"
            case "defaultTopK": "RAG_TOP_K"
            case "maxQuestionLength": "API_MAX_QUERY_LENGTH"
            default: String?.none
            }
            throw ConfigurationError(setting: setting, error.message)
        }
        guard pipeline.excerptLength >= 0 else { throw ConfigurationError(setting: "excerptLength", "must not be negative") }
        guard worker.concurrency >= 1 else { throw ConfigurationError(setting: "WORKER_CONCURRENCY", "must be at least 1") }
        guard worker.shutdownGrace >= .zero else {
            throw ConfigurationError(setting: "WORKER_SHUTDOWN_GRACE_SECONDS", "must not be negative")
        }
        guard ingest.chunkSize >= 1 else { throw ConfigurationError(setting: "INGEST_CHUNK_SIZE", "must be at least 1") }
        guard (0..<ingest.chunkSize).contains(ingest.chunkOverlap) else {
            throw ConfigurationError(
                setting: "INGEST_CHUNK_OVERLAP",
                "must be smaller than INGEST_CHUNK_SIZE (\(ingest.chunkSize)), got \(ingest.chunkOverlap)"
            )
        }
        guard (1...2048).contains(ingest.batchSize) else {
            throw ConfigurationError(setting: "INGEST_BATCH_SIZE", "must be from 1 to 2048, got \(ingest.batchSize)")
        }
    }

    /// The variable behind a queue validation message.
    private static func queueSetting(for message: String) -> String? {
        if message.hasPrefix("prefix") { return "RAGQ_PREFIX" }
        if message.hasPrefix("queue name") { return "RAGQ_QUEUE" }
        if message.hasPrefix("lease") { return "JOB_LEASE_SECONDS" }
        if message.hasPrefix("max attempts") { return "JOB_MAX_ATTEMPTS" }
        if message.hasPrefix("heartbeat") { return "JOB_HEARTBEAT_SECONDS" }
        if message.hasPrefix("max crashes") { return "JOB_MAX_CRASHES" }
        if message.hasPrefix("result and failure") { return "JOB_RESULT_TTL_SECONDS" }
        if message.hasPrefix("max depth") { return "RAGQ_MAX_DEPTH" }
        if message.hasPrefix("durability timeout") { return "RAGQ_DURABILITY_TIMEOUT_SECONDS" }
        return nil
    }
}
