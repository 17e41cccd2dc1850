import Testing

@testable import RAGQueue

/// The configuration and its environment variables; `swift test --filter ConfigTests`.
@Suite("Config")
struct ConfigTests {
    @Test("defaults are the documented ones")
    func defaults() throws {
        let configuration = try RAGQueueConfiguration(environment: [:])
        #expect(configuration.valkeyURL == "valkey://127.0.0.1:6379")
        #expect(configuration.queue.prefix == "ragq")
        #expect(configuration.queue.name == "default")
        #expect(!configuration.hasOpenAIKey)
        #expect(configuration.openAI.baseURL == "https://api.openai.com/v1")
        #expect(configuration.embeddings.model == "text-embedding-3-small")
        #expect(configuration.chat.model == "gpt-4.1-mini")
        #expect(configuration.qdrant.baseURL == "http://localhost:6333")
        #expect(configuration.qdrant.timeout == .seconds(30))
        #expect(configuration.http.timeout == .seconds(60))
        #expect(configuration.pipeline.rules.defaultCollection == "learning_vectors")
        #expect(configuration.pipeline.rules.defaultTopK == 4)
        #expect(configuration.pipeline.rules.maxTopK == 20)
        #expect(configuration.pipeline.rules.maxQuestionLength == 4000)
        #expect(configuration.worker.concurrency == 32)
        #expect(configuration.worker.shutdownGrace == .seconds(20))
        #expect(configuration.workerJobsOnHTTPThread)
        #expect(configuration.ingest.chunkSize == 1000)
        #expect(configuration.ingest.chunkOverlap == 200)
        #expect(configuration.ingest.batchSize == 64)
    }

    @Test("variables override the defaults; empty ones count as unset")
    func overrides() throws {
        let configuration = try RAGQueueConfiguration(environment: [
            "VALKEY_URL": "valkey://10.0.0.5:6380/2", "RAGQ_PREFIX": "prod", "RAGQ_QUEUE": "rag_queries",
            "OPENAI_API_KEY": "sk-test-123", "OPENAI_BASE_URL": "http://127.0.0.1:9000/v1",
            "OPENAI_EMBEDDING_MODEL": "text-embedding-3-large", "OPENAI_CHAT_MODEL": "gpt-4.1",
            "QDRANT_URL": "http://vector-db:6333", "QDRANT_API_KEY": "", "RAG_COLLECTION": "books", "RAG_TOP_K": "6",
            "WORKER_CONCURRENCY": "8", "JOB_LEASE_SECONDS": "2.5", "JOB_MAX_ATTEMPTS": "5", "RAG_PAGE_NUMBERS": "index",
            "INGEST_CHUNK_SIZE": "500", "INGEST_CHUNK_OVERLAP": "50", "LOG_LEVEL": "DEBUG",
            "RAGQ_DURABILITY": "Replica", "RAGQ_DURABILITY_TIMEOUT_SECONDS": "0.25",
            "RAGQ_ANSWER_CACHE_TTL_SECONDS": "90", "RAGQ_ANSWER_CACHE_SCOPE": "Shared", "RAGQ_SEMANTIC_CACHE_THRESHOLD": "0.92",
            "WORKER_JOBS_ON_HTTP_THREAD": "Off",
        ])
        #expect(!configuration.workerJobsOnHTTPThread)
        #expect(configuration.answerCache.ttl == .seconds(90) && configuration.answerCache.shared)
        #expect(configuration.answerCache.semanticThreshold == 0.92 && configuration.answerCache.embeddingModel == "text-embedding-3-large")
        #expect(configuration.queue.durability == .replica)
        #expect(configuration.queue.durabilityTimeout == .milliseconds(250))
        #expect(configuration.valkeyURL == "valkey://10.0.0.5:6380/2")
        #expect(configuration.queue.prefix == "prod")
        #expect(configuration.queue.name == "rag_queries")
        #expect(configuration.openAI.apiKey == "sk-test-123")
        #expect(configuration.openAI.baseURL == "http://127.0.0.1:9000/v1")
        #expect(configuration.embeddings.model == "text-embedding-3-large")
        #expect(configuration.chat.model == "gpt-4.1")
        #expect(configuration.qdrant.baseURL == "http://vector-db:6333")
        #expect(configuration.qdrant.apiKey == nil)
        #expect(configuration.pipeline.rules.defaultCollection == "books")
        #expect(configuration.pipeline.rules.defaultTopK == 6)
        #expect(configuration.pipeline.prompt.pageNumbering == .index)
        #expect(configuration.worker.concurrency == 8)
        #expect(configuration.queue.lease == .milliseconds(2500))
        #expect(configuration.queue.maxAttempts == 5)
        #expect(configuration.ingest.chunkSize == 500)
        #expect(configuration.ingest.chunkOverlap == 50)
        #expect("\(configuration.logLevel)" == "debug")
    }

    @Test(
        "bad values throw an error naming the variable",
        arguments: [
            ("RAG_TOP_K", "abc"), ("RAG_TOP_K", "0"), ("RAG_TOP_K", "21"), ("WORKER_CONCURRENCY", "-1"),
            ("JOB_LEASE_SECONDS", "soon"), ("JOB_MAX_ATTEMPTS", "0"), ("OPENAI_BASE_URL", "api.openai.com"),
            ("QDRANT_URL", "ftp://x"), ("VALKEY_URL", "http://x"), ("RAGQ_QUEUE", "has space"), ("RAGQ_PREFIX", "a{b}"),
            ("LOG_LEVEL", "loud"), ("INGEST_CHUNK_OVERLAP", "1000"), ("RAG_PAGE_NUMBERS", "roman"), ("RAG_COLLECTION", "a/b"),
            ("API_MAX_QUERY_LENGTH", "0"), ("RAGQ_DURABILITY", "fsync"), ("RAGQ_DURABILITY_TIMEOUT_SECONDS", "60"),
            ("RAGQ_ANSWER_CACHE_SCOPE", "global"), ("RAGQ_SEMANTIC_CACHE_THRESHOLD", "1.5"), ("RAGQ_SEMANTIC_CACHE_THRESHOLD", "high"),
            ("WORKER_JOBS_ON_HTTP_THREAD", "maybe"),
        ]
    )
    func badValues(name: String, value: String) {
        #expect {
            try RAGQueueConfiguration(environment: [name: value])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.setting == name && error.description.hasPrefix(name + ": ")
        }
    }

    @Test("VALKEY_SENTINELS turns VALKEY_URL into the primary that the sentinels name, keeping its credentials and database")
    func sentinels() throws {
        let configuration = try RAGQueueConfiguration(environment: [
            "VALKEY_URL": "valkey://:s3cret@ignored:6379/3", "VALKEY_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379", "VALKEY_SENTINEL_MASTER": "queue",
        ])
        #expect(configuration.valkeyURL == "valkey-sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26379/queue/3")
        let plain = try RAGQueueConfiguration(environment: ["VALKEY_SENTINELS": "sentinel"])
        #expect(plain.valkeyURL == "valkey-sentinel://sentinel/mymaster")
        #expect(throws: ConfigurationError.self) { try RAGQueueConfiguration(environment: ["VALKEY_SENTINELS": "host:notaport"]) }
    }

    @Test("secrets are never echoed in errors")
    func secrets() {
        do throws(ConfigurationError) {
            _ = try RAGQueueConfiguration(environment: ["OPENAI_API_KEY": "sk-secret value"])
            Issue.record("a key with a space was accepted")
        } catch {
            #expect(error.setting == "OPENAI_API_KEY")
            #expect(!error.description.contains("sk-secret"))
        }
    }

    @Test("the help table lists every variable once")
    func table() {
        let names = RAGQueueConfiguration.environmentVariables.map(\.name)
        #expect(Set(names).count == names.count)
        for required in ["VALKEY_URL", "RAGQ_PREFIX", "RAGQ_QUEUE", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_EMBEDDING_MODEL",
                         "OPENAI_CHAT_MODEL", "QDRANT_URL", "QDRANT_API_KEY", "RAG_COLLECTION", "RAG_TOP_K", "WORKER_CONCURRENCY",
                         "JOB_LEASE_SECONDS", "JOB_MAX_ATTEMPTS"] {
            #expect(names.contains(required))
            #expect(RAGQueueConfiguration.environmentVariables.help().contains(required))
        }
        #expect(RAGQueueConfiguration.environmentVariables.markdownRows().count == names.count)
    }
}
