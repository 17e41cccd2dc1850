import Logging

/// One environment variable the configuration reads: its name, default and meaning, and how it is applied.
public struct EnvironmentVariable: Sendable {
    /// The variable's name, e.g. `RAG_TOP_K`.
    public let name: String
    /// The default, as shown to people (`4`, `(none)`).
    public let defaultValue: String
    /// What it sets, one line.
    public let description: String
    /// Whether the value is a secret: never echoed in errors or logs.
    public let isSecret: Bool
    let apply: @Sendable (inout RAGQueueConfiguration, String) throws -> Void

    init(
        _ name: String, _ defaultValue: String, _ description: String, secret: Bool = false,
        apply: @escaping @Sendable (inout RAGQueueConfiguration, String) throws -> Void
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.description = description
        self.isSecret = secret
        self.apply = apply
    }
}

extension RAGQueueConfiguration {
    /// Every variable read by `init(environment:)`, in the order the README's table lists them.
    /// A new section adds its own list here.
    public static var environmentVariables: [EnvironmentVariable] {
        queueVariables + openAIVariables + qdrantVariables + ragVariables + workerVariables + ingestVariables + apiVariables
    }

    /// The defaults overridden by `environment` (the process's, usually), then validated.
    /// Empty values count as unset. Throws a `ConfigurationError` naming the first bad variable.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        for variable in Self.environmentVariables {
            guard let value = environment[variable.name], !value.isEmpty else { continue }
            do {
                try variable.apply(&self, value)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(setting: variable.name, "cannot be used: \(error)")
            }
        }
        try validate()
    }

    /// The variables as plain text for `--help`: name and default on one line, meaning below.
    public static func environmentHelp() -> String {
        environmentVariables.map { variable in
            "  \(variable.name) (default: \(variable.defaultValue))\n      \(variable.description)"
        }.joined(separator: "\n")
    }

    /// The variables as a Markdown table, for the README.
    public static func environmentMarkdownTable() -> String {
        var lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
        for variable in environmentVariables {
            lines.append("| `\(variable.name)` | `\(variable.defaultValue)` | \(variable.description) |")
        }
        return lines.joined(separator: "\n")
    }

    private static var queueVariables: [EnvironmentVariable] {
        [
            .init("VALKEY_URL", "valkey://127.0.0.1:6379", "Valkey holding the queue (valkey://[user:password@]host:port[/db])", secret: true) {
                $0.valkeyURL = $1
            },
            .init("RAGQ_PREFIX", "ragq", "key prefix shared by a deployment's queues") { $0.queue.prefix = $1 },
            .init("RAGQ_QUEUE", "default", "queue name") { $0.queue.name = $1 },
            .init("JOB_LEASE_SECONDS", "15", "how long a worker holds a job before another may take it over") {
                $0.queue.lease = try Parse.duration($1, "JOB_LEASE_SECONDS", in: 0.1...3600)
            },
            .init("JOB_MAX_ATTEMPTS", "3", "attempts before a job fails for good") {
                $0.queue.maxAttempts = try Parse.integer($1, "JOB_MAX_ATTEMPTS", in: 1...100)
            },
            .init("JOB_RESULT_TTL_SECONDS", "86400", "how long finished jobs and their token streams stay readable") {
                $0.queue.resultTTL = try Parse.duration($1, "JOB_RESULT_TTL_SECONDS", in: 1...31_536_000)
            },
            .init("JOB_FAILURE_TTL_SECONDS", "604800", "how long failed jobs stay readable") {
                $0.queue.failureTTL = try Parse.duration($1, "JOB_FAILURE_TTL_SECONDS", in: 1...31_536_000)
            },
            .init("RAGQ_MAX_DEPTH", "10000", "most jobs waiting; enqueue beyond is refused (0 = no limit)") {
                $0.queue.maxDepth = try Parse.integer($1, "RAGQ_MAX_DEPTH", in: 0...100_000_000)
            },
            .init("LOG_LEVEL", "info", "trace, debug, info, notice, warning, error or critical") {
                guard let level = Logger.Level(rawValue: $1.lowercased()) else {
                    throw ConfigurationError(setting: "LOG_LEVEL", "must be trace, debug, info, notice, warning, error or critical, got \"\($1)\"")
                }
                $0.logLevel = level
            },
        ]
    }

    private static var openAIVariables: [EnvironmentVariable] {
        [
            .init("OPENAI_API_KEY", "(none)", "OpenAI key; without it embeddings are local and chat is unavailable", secret: true) {
                $0.openAI.apiKey = $1
            },
            .init("OPENAI_BASE_URL", OpenAIEndpoint.defaultBaseURL, "API root including /v1 (any OpenAI-compatible server)") {
                $0.openAI.baseURL = try Parse.httpURL($1, "OPENAI_BASE_URL")
            },
            .init("OPENAI_ORG_ID", "(none)", "sent as OpenAI-Organization") { $0.openAI.organization = $1 },
            .init("OPENAI_PROJECT_ID", "(none)", "sent as OpenAI-Project") { $0.openAI.project = $1 },
            .init("OPENAI_EMBEDDING_MODEL", "text-embedding-3-small", "embedding model") { $0.openAI.embeddingModel = $1 },
            .init("OPENAI_EMBEDDING_DIMENSIONS", "(native)", "shorter vectors from a text-embedding-3 model") {
                $0.openAI.embeddingDimensions = try Parse.integer($1, "OPENAI_EMBEDDING_DIMENSIONS", in: 1...65536)
            },
            .init("OPENAI_CHAT_MODEL", "gpt-4.1-mini", "chat model that writes the answers") { $0.openAI.chatModel = $1 },
            .init("OPENAI_MAX_COMPLETION_TOKENS", "(API default)", "most tokens in an answer") {
                $0.openAI.maxCompletionTokens = try Parse.integer($1, "OPENAI_MAX_COMPLETION_TOKENS", in: 1...1_000_000)
            },
            .init("OPENAI_TIMEOUT_SECONDS", "60", "deadline of one OpenAI call (a whole stream when streaming)") {
                $0.openAI.requestTimeout = try Parse.duration($1, "OPENAI_TIMEOUT_SECONDS", in: 0.1...3600)
            },
        ]
    }

    private static var qdrantVariables: [EnvironmentVariable] {
        [
            .init("QDRANT_URL", "http://localhost:6333", "Qdrant REST URL") { $0.qdrant.url = try Parse.httpURL($1, "QDRANT_URL") },
            .init("QDRANT_API_KEY", "(none)", "Qdrant API key", secret: true) { $0.qdrant.apiKey = $1 },
            .init("QDRANT_TIMEOUT_SECONDS", "30", "deadline of one Qdrant call") {
                $0.qdrant.requestTimeout = try Parse.duration($1, "QDRANT_TIMEOUT_SECONDS", in: 0.1...3600)
            },
        ]
    }

    private static var ragVariables: [EnvironmentVariable] {
        [
            .init("RAG_COLLECTION", "learning_vectors", "collection searched when a query names none") { $0.rag.defaultCollection = $1 },
            .init("RAG_TOP_K", "4", "chunks put in the prompt when a query does not say") {
                $0.rag.topK = try Parse.integer($1, "RAG_TOP_K", in: 1...1000)
            },
            .init("RAG_MAX_TOP_K", "20", "most chunks a query may ask for") {
                $0.rag.maxTopK = try Parse.integer($1, "RAG_MAX_TOP_K", in: 1...1000)
            },
            .init("RAG_PAGE_NUMBERS", "label", "prompt's Page Number: label (printed, 1-based) or index (the seed's 0-based page)") {
                guard let numbering = PromptBuilder.PageNumbering(rawValue: $1.lowercased()) else {
                    throw ConfigurationError(setting: "RAG_PAGE_NUMBERS", "must be label or index, got \"\($1)\"")
                }
                $0.rag.pageNumbering = numbering
            },
            .init("RAG_RATE_LIMIT_RETRIES", "2", "times a stage waits out a 429 inside the attempt before the queue retries the job") {
                $0.rag.rateLimitRetries = try Parse.integer($1, "RAG_RATE_LIMIT_RETRIES", in: 0...20)
            },
            .init("RAG_RATE_LIMIT_MAX_WAIT_SECONDS", "10", "longest Retry-After waited out inside the attempt") {
                $0.rag.maxRateLimitWait = try Parse.duration($1, "RAG_RATE_LIMIT_MAX_WAIT_SECONDS", in: 0...600)
            },
        ]
    }

    private static var workerVariables: [EnvironmentVariable] {
        [
            .init("WORKER_CONCURRENCY", "32", "jobs a worker process runs at once") {
                $0.worker.concurrency = try Parse.integer($1, "WORKER_CONCURRENCY", in: 1...10_000)
            },
            .init("WORKER_SHUTDOWN_GRACE_SECONDS", "20", "time running jobs get after SIGTERM before they are handed back") {
                $0.worker.shutdownGrace = try Parse.duration($1, "WORKER_SHUTDOWN_GRACE_SECONDS", in: 0...3600)
            },
            .init("LOCAL_EMBEDDING_DIMENSION", "384", "vector length of the local embeddings used without OPENAI_API_KEY") {
                $0.worker.localEmbeddingDimension = try Parse.integer($1, "LOCAL_EMBEDDING_DIMENSION", in: 8...65536)
            },
        ]
    }

    private static var ingestVariables: [EnvironmentVariable] {
        [
            .init("INGEST_CHUNK_SIZE", "1000", "longest chunk, in characters") {
                $0.ingest.chunkSize = try Parse.integer($1, "INGEST_CHUNK_SIZE", in: 1...1_000_000)
            },
            .init("INGEST_CHUNK_OVERLAP", "200", "characters shared by neighbouring chunks") {
                $0.ingest.chunkOverlap = try Parse.integer($1, "INGEST_CHUNK_OVERLAP", in: 0...1_000_000)
            },
            .init("INGEST_BATCH_SIZE", "64", "chunks embedded and upserted per request") {
                $0.ingest.batchSize = try Parse.integer($1, "INGEST_BATCH_SIZE", in: 1...2048)
            },
        ]
    }
}

/// Value parsers that name the variable in their errors.
enum Parse {
    static func integer(_ text: String, _ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(text.trimmed), range.contains(value) else {
            throw ConfigurationError(setting: name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// Seconds, possibly fractional (`15`, `0.5`).
    static func duration(_ text: String, _ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Duration {
        guard let seconds = Double(text.trimmed), seconds.isFinite, range.contains(seconds) else {
            throw ConfigurationError(
                setting: name, "must be a number of seconds from \(range.lowerBound.formatted) to \(range.upperBound.formatted), got \"\(text)\""
            )
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// An `http://` or `https://` URL with a host.
    static func httpURL(_ text: String, _ name: String) throws(ConfigurationError) -> String {
        let value = text.trimmed
        let lower = value.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw ConfigurationError(setting: name, "must be an http:// or https:// URL, got \"\(text)\"")
        }
        let rest = value.drop(while: { $0 != ":" }).dropFirst(3)
        guard let first = rest.first, first != "/" else {
            throw ConfigurationError(setting: name, "must name a host, got \"\(text)\"")
        }
        return value
    }
}

extension String {
    fileprivate var trimmed: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}

extension Double {
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
