import Foundation
import Logging

extension RAGQueueConfiguration {
    /// Every variable read by `init(environment:)`, in the order the README's table lists them.
    /// A new section adds its own list here.
    public static var environmentVariables: [EnvironmentVariable<RAGQueueConfiguration>] {
        queueVariables + openAIVariables + qdrantVariables + ragVariables + workerVariables + ingestVariables
    }

    /// The defaults overridden by `environment` (the process's, usually), then validated.
    /// Empty values count as unset. Throws a `ConfigurationError` naming the first bad variable.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        try Self.environmentVariables.apply(environment, to: &self)
        try validate()
    }

    /// `valkey-sentinel://[credentials@]sentinels/primary[/db]`, keeping `url`'s credentials and database.
    private static func sentinelURL(sentinels: String, primary: String, from url: String) -> String {
        let components = URLComponents(string: url)
        var sentinelURL = "valkey-sentinel://"
        if let password = components?.percentEncodedPassword {
            sentinelURL += "\(components?.percentEncodedUser ?? ""):\(password)@"
        }
        sentinelURL += sentinels.filter { !$0.isWhitespace } + "/" + primary
        let database = (components?.path ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return database.isEmpty ? sentinelURL : sentinelURL + "/" + database
    }

    private static var queueVariables: [EnvironmentVariable<Self>] {
        [
            .init("VALKEY_URL", "valkey://127.0.0.1:6379", "Valkey holding the queue (valkey://[user:password@]host:port[/db])", secret: true) {
                $0.valkeyURL = $1
            },
            .init("VALKEY_SENTINEL_MASTER", "mymaster", "the primary's name at the sentinels of VALKEY_SENTINELS") {
                $0.valkeySentinelMaster = $1
            },
            // After VALKEY_URL and VALKEY_SENTINEL_MASTER: it turns them into a sentinel URL.
            .init("VALKEY_SENTINELS", "(none)", "host:port,... of Valkey sentinels: the queue's Valkey is the primary they name, followed through failovers (VALKEY_URL then gives only credentials and db)") {
                $0.valkeyURL = sentinelURL(sentinels: $1, primary: $0.valkeySentinelMaster, from: $0.valkeyURL)
            },
            .init("RAGQ_PREFIX", "ragq", "key prefix shared by a deployment's queues") { $0.queue.prefix = $1 },
            .init("RAGQ_QUEUE", "default", "queue name") { $0.queue.name = $1 },
            .init("JOB_LEASE_SECONDS", "15", "how long a live worker holds a job without renewing it (renewed every quarter)") {
                $0.queue.lease = try Parse.duration($1, "JOB_LEASE_SECONDS", in: 0.1...3600)
            },
            .init("JOB_HEARTBEAT_SECONDS", "2", "a worker silent this long is dead: its jobs go back to the queue at once, whatever their lease") {
                $0.queue.heartbeat = try Parse.duration($1, "JOB_HEARTBEAT_SECONDS", in: 0.3...600)
            },
            .init("JOB_MAX_ATTEMPTS", "3", "attempts before a job fails for good") {
                $0.queue.maxAttempts = try Parse.integer($1, "JOB_MAX_ATTEMPTS", in: 1...100)
            },
            .init("JOB_MAX_CRASHES", "3", "workers that may die holding one job before it fails (worker_crashed); these attempts do not count") {
                $0.queue.maxCrashes = try Parse.integer($1, "JOB_MAX_CRASHES", in: 1...100)
            },
            .init("JOB_RESULT_TTL_SECONDS", "86400", "how long finished jobs and their token streams stay readable") {
                $0.queue.resultTTL = try Parse.duration($1, "JOB_RESULT_TTL_SECONDS", in: 1...31_536_000)
            },
            .init("JOB_FAILURE_TTL_SECONDS", "604800", "how long failed jobs stay readable") {
                $0.queue.failureTTL = try Parse.duration($1, "JOB_FAILURE_TTL_SECONDS", in: 1...31_536_000)
            },
            .init("JOB_RETRY_BACKOFF_SECONDS", "1", "ceiling of the first retry's random delay; it doubles per attempt") {
                $0.queue.retry.initialBackoff = try Parse.duration($1, "JOB_RETRY_BACKOFF_SECONDS", in: 0...3600)
            },
            .init("JOB_RETRY_MAX_BACKOFF_SECONDS", "60", "longest retry delay: with JOB_MAX_ATTEMPTS, the window a job's retries span") {
                $0.queue.retry.maximumBackoff = try Parse.duration($1, "JOB_RETRY_MAX_BACKOFF_SECONDS", in: 0...86_400)
            },
            .init("CIRCUIT_FAILURES", "5", "backend outage failures (5xx, timeouts, resets) within CIRCUIT_WINDOW_SECONDS that stop every worker") {
                $0.queue.circuit.threshold = try Parse.integer($1, "CIRCUIT_FAILURES", in: 1...10_000)
            },
            .init("CIRCUIT_WINDOW_SECONDS", "10", "how far back outage failures count") {
                $0.queue.circuit.window = try Parse.duration($1, "CIRCUIT_WINDOW_SECONDS", in: 0.1...3600)
            },
            .init("CIRCUIT_OPEN_SECONDS", "2", "how long workers stop at first; doubled on each failed probe") {
                $0.queue.circuit.openFor = try Parse.duration($1, "CIRCUIT_OPEN_SECONDS", in: 0.1...3600)
            },
            .init("CIRCUIT_MAX_OPEN_SECONDS", "30", "the longest stop") {
                $0.queue.circuit.maximumOpen = try Parse.duration($1, "CIRCUIT_MAX_OPEN_SECONDS", in: 0.1...86_400)
            },
            .init("JOB_PRIORITY_STEP_SECONDS", "60", "waiting time one step of priority is worth: a low priority is delayed, never starved") {
                $0.queue.priorityStep = try Parse.duration($1, "JOB_PRIORITY_STEP_SECONDS", in: 0...86_400)
            },
            .init("RAGQ_MAX_DEPTH", "10000", "most jobs waiting; enqueue beyond is refused (0 = no limit)") {
                $0.queue.maxDepth = try Parse.integer($1, "RAGQ_MAX_DEPTH", in: 0...100_000_000)
            },
            .init("RAGQ_ANSWER_CACHE_TTL_SECONDS", "0", "how long an answer answers the same question again (same tenant, collection version, top_k, filter, model, prompt); 0 turns the cache off") {
                $0.answerCacheTTL = try Parse.duration($1, "RAGQ_ANSWER_CACHE_TTL_SECONDS", in: 0...31_536_000)
            },
            .init("RAGQ_SEMANTIC_CACHE_THRESHOLD", "0", "with the answer cache on: the cosine similarity of two questions' embeddings above which the second reuses the first's answer (no retrieval, no chat call); 0 turns the semantic cache off") {
                $0.semanticCacheThreshold = try Parse.number($1, "RAGQ_SEMANTIC_CACHE_THRESHOLD", in: 0...1)
            },
            .init("RAGQ_ANSWER_CACHE_SCOPE", "tenant", "who shares cached answers: tenant (each tenant its own) or shared (every tenant whose cache is on)") {
                switch $1.lowercased() {
                case "tenant": $0.answerCacheShared = false
                case "shared": $0.answerCacheShared = true
                default: throw ConfigurationError(setting: "RAGQ_ANSWER_CACHE_SCOPE", "must be tenant or shared, got \"\($1)\"")
                }
            },
            .init("RAGQ_DURABILITY", "none", "what an accepted job survived before the 202: none (Valkey's memory), local (its AOF fsynced: WAITAOF) or replica (a replica has it: WAIT)") {
                guard let durability = Durability(rawValue: $1.lowercased()) else {
                    throw ConfigurationError(setting: "RAGQ_DURABILITY", "must be none, local or replica, got \"\($1)\"")
                }
                $0.queue.durability = durability
            },
            .init("RAGQ_DURABILITY_TIMEOUT_SECONDS", "0.5", "how long a submit waits for that; past it the job is kept but the submit answers 503 durability_unconfirmed") {
                $0.queue.durabilityTimeout = try Parse.duration($1, "RAGQ_DURABILITY_TIMEOUT_SECONDS", in: 0.01...10)
            },
            .init("LOG_LEVEL", "info", "trace, debug, info, notice, warning, error or critical") {
                guard let level = Logger.Level(rawValue: $1.lowercased()) else {
                    throw ConfigurationError(setting: "LOG_LEVEL", "must be trace, debug, info, notice, warning, error or critical, got \"\($1)\"")
                }
                $0.logLevel = level
            },
            .init("LOG_FORMAT", "text", "text (one line of key=value per event) or json (one object per line); timestamps in UTC to the millisecond") {
                guard let format = LogFormat(rawValue: $1.lowercased()) else {
                    throw ConfigurationError(setting: "LOG_FORMAT", "must be text or json, got \"\($1)\"")
                }
                $0.logFormat = format
            },
        ]
    }

    private static var openAIVariables: [EnvironmentVariable<Self>] {
        [
            .init("OPENAI_API_KEY", "(none)", "OpenAI key; without it embeddings are local and chat is unavailable", secret: true) {
                $0.openAI.apiKey = $1
            },
            .init("OPENAI_BASE_URL", OpenAIEndpoint.defaultBaseURL, "API root including /v1 (any OpenAI-compatible server)") {
                $0.openAI.baseURL = try Parse.httpURL($1, "OPENAI_BASE_URL")
            },
            .init("OPENAI_ORG_ID", "(none)", "sent as OpenAI-Organization") { $0.openAI.organization = $1 },
            .init("OPENAI_PROJECT_ID", "(none)", "sent as OpenAI-Project") { $0.openAI.project = $1 },
            .init("OPENAI_EMBEDDING_MODEL", OpenAIEmbeddings.Configuration().model, "embedding model") { $0.embeddings.model = $1 },
            .init("OPENAI_EMBEDDING_DIMENSIONS", "(native)", "shorter vectors from a text-embedding-3 model") {
                $0.embeddings.dimensions = try Parse.integer($1, "OPENAI_EMBEDDING_DIMENSIONS", in: 1...65536)
            },
            .init("OPENAI_CHAT_MODEL", OpenAIChatModel.Configuration().model, "chat model that writes the answers") { $0.chat.model = $1 },
            .init("OPENAI_MAX_COMPLETION_TOKENS", "(API default)", "most tokens in an answer") {
                $0.chat.maxCompletionTokens = try Parse.integer($1, "OPENAI_MAX_COMPLETION_TOKENS", in: 1...1_000_000)
            },
            .init("OPENAI_CHAT_RPM", "(learned)", "chat requests per minute the provider allows; workers pace their calls to it together") {
                $0.pacing.chat.requestsPerMinute = try Parse.integer($1, "OPENAI_CHAT_RPM", in: 1...100_000_000)
            },
            .init("OPENAI_CHAT_TPM", "(learned)", "chat tokens per minute the provider allows (prompt and answer)") {
                $0.pacing.chat.tokensPerMinute = try Parse.integer($1, "OPENAI_CHAT_TPM", in: 1...1_000_000_000)
            },
            .init("OPENAI_EMBEDDING_RPM", "(learned)", "embedding requests per minute the provider allows") {
                $0.pacing.embeddings.requestsPerMinute = try Parse.integer($1, "OPENAI_EMBEDDING_RPM", in: 1...100_000_000)
            },
            .init("OPENAI_EMBEDDING_TPM", "(learned)", "embedding tokens per minute the provider allows") {
                $0.pacing.embeddings.tokensPerMinute = try Parse.integer($1, "OPENAI_EMBEDDING_TPM", in: 1...1_000_000_000)
            },
            .init("RAG_PROVIDER_PACING", "on", "on: workers share the providers' per-minute budgets through Valkey; off: every call goes at once") {
                $0.pacing.isEnabled = try Parse.onOff($1, "RAG_PROVIDER_PACING")
            },
            .init(
                "RAG_PROVIDER_LEASE_SECONDS", "\(ProviderPacer.Configuration().leaseWindow.seconds)",
                "how long a worker holds a slice of a provider's budget (at most that much of each per-minute rate) before it settles; 0: ask Valkey before every call"
            ) {
                $0.pacing.leaseWindow = try Parse.duration($1, "RAG_PROVIDER_LEASE_SECONDS", in: 0...60)
            },
            .init("OPENAI_TIMEOUT_SECONDS", "\(Int(CurlHTTPClient.Configuration().timeout.seconds))", "deadline of one OpenAI call (a whole stream when streaming)") {
                $0.http.timeout = try Parse.duration($1, "OPENAI_TIMEOUT_SECONDS", in: 0.1...3600)
            },
            .init(
                "HTTP_MAX_IDLE_CONNECTIONS", "\(CurlHTTPClient.Configuration().maxCachedConnections)",
                "connections to OpenAI and Qdrant a process keeps open for reuse, those in use included; above it a call's connection closes when it ends"
            ) {
                $0.http.maxCachedConnections = try Parse.integer($1, "HTTP_MAX_IDLE_CONNECTIONS", in: 1...100_000)
            },
        ]
    }

    private static var qdrantVariables: [EnvironmentVariable<Self>] {
        [
            .init("QDRANT_URL", QdrantVectorStore.Configuration().baseURL, "Qdrant REST URL") {
                $0.qdrant.baseURL = try Parse.httpURL($1, "QDRANT_URL")
            },
            .init("QDRANT_API_KEY", "(none)", "Qdrant API key", secret: true) { $0.qdrant.apiKey = $1 },
            .init("QDRANT_TIMEOUT_SECONDS", "\(Int(QdrantVectorStore.Configuration().timeout?.seconds ?? 0))", "deadline of one Qdrant call") {
                $0.qdrant.timeout = try Parse.duration($1, "QDRANT_TIMEOUT_SECONDS", in: 0.1...3600)
            },
        ]
    }

    private static var ragVariables: [EnvironmentVariable<Self>] {
        let rules = QueryRules()
        let pipeline = RAGPipeline.Configuration()
        return [
            .init("RAG_COLLECTION", rules.defaultCollection, "collection searched when a query names none") {
                $0.pipeline.rules.defaultCollection = $1
            },
            .init("RAG_TOP_K", "\(rules.defaultTopK)", "chunks put in the prompt when a query does not say") {
                $0.pipeline.rules.defaultTopK = try Parse.integer($1, "RAG_TOP_K", in: 1...1000)
            },
            .init("RAG_MAX_TOP_K", "\(rules.maxTopK)", "most chunks a query may ask for") {
                $0.pipeline.rules.maxTopK = try Parse.integer($1, "RAG_MAX_TOP_K", in: 1...1000)
            },
            .init("API_MAX_QUERY_LENGTH", "\(rules.maxQuestionLength)", "longest question, in characters (the API refuses longer ones, workers fail them)") {
                $0.pipeline.rules.maxQuestionLength = try Parse.integer($1, "API_MAX_QUERY_LENGTH", in: 1...1_000_000)
            },
            .init("RAG_PAGE_NUMBERS", pipeline.prompt.pageNumbering.rawValue, "prompt's Page Number: label (printed, 1-based) or index (the seed's 0-based page)") {
                guard let numbering = PromptBuilder.PageNumbering(rawValue: $1.lowercased()) else {
                    throw ConfigurationError(setting: "RAG_PAGE_NUMBERS", "must be label or index, got \"\($1)\"")
                }
                $0.pipeline.prompt.pageNumbering = numbering
            },
            .init("RAG_RATE_LIMIT_RETRIES", "\(pipeline.rateLimitRetries)", "times a stage waits out a 429 inside the attempt before the queue retries the job") {
                $0.pipeline.rateLimitRetries = try Parse.integer($1, "RAG_RATE_LIMIT_RETRIES", in: 0...20)
            },
            .init("RAG_PRICES", "(OpenAI list prices)", "model=input[/output],... in dollars per million tokens, added to the defaults") {
                $0.pipeline.prices = try Parse.prices($1)
            },
            .init("RAG_RATE_LIMIT_MAX_WAIT_SECONDS", "\(Int(pipeline.maxRateLimitWait.seconds))", "longest Retry-After waited out inside the attempt") {
                $0.pipeline.maxRateLimitWait = try Parse.duration($1, "RAG_RATE_LIMIT_MAX_WAIT_SECONDS", in: 0...600)
            },
        ]
    }

    private static var workerVariables: [EnvironmentVariable<Self>] {
        let worker = Worker.Configuration()
        return [
            .init("WORKER_CONCURRENCY", "\(worker.concurrency)", "jobs a worker process runs at once") {
                $0.worker.concurrency = try Parse.integer($1, "WORKER_CONCURRENCY", in: 1...10_000)
            },
            .init("WORKER_METRICS_PORT", "(off)", "port of the worker's /metrics and /healthz (0 picks a free one); unset, the worker serves no HTTP") {
                $0.workerMetricsPort = try Parse.integer($1, "WORKER_METRICS_PORT", in: 0...65535)
            },
            .init("WORKER_METRICS_HOST", "0.0.0.0", "address the worker's metrics server binds") {
                $0.workerMetricsHost = $1
            },
            .init("WORKER_CLAIM_LINGER_MS", "\(worker.claimLinger.milliseconds)", "how long an idle worker woken by new work waits before it claims, to take jobs arriving meanwhile in the same claim") {
                $0.worker.claimLinger = .milliseconds(try Parse.integer($1, "WORKER_CLAIM_LINGER_MS", in: 0...1000))
            },
            .init("WORKER_JOBS_ON_HTTP_THREAD", "on", "on: a worker process runs its jobs and its claim loop on its HTTP client's thread (fewer thread hops; job code on one core: run a worker per core); off: on Swift's global pool") {
                $0.workerJobsOnHTTPThread = try Parse.onOff($1, "WORKER_JOBS_ON_HTTP_THREAD")
            },
            .init("WORKER_SHUTDOWN_GRACE_SECONDS", "\(Int(worker.shutdownGrace.seconds))", "time running jobs get after SIGTERM before they are handed back") {
                $0.worker.shutdownGrace = try Parse.duration($1, "WORKER_SHUTDOWN_GRACE_SECONDS", in: 0...3600)
            },
            .init("LOCAL_EMBEDDING_DIMENSION", "\(LocalEmbeddings.Configuration().dimension)", "vector length of the local embeddings used without OPENAI_API_KEY") {
                $0.localEmbeddings.dimension = try Parse.integer($1, "LOCAL_EMBEDDING_DIMENSION", in: 8...65536)
            },
        ]
    }

    private static var ingestVariables: [EnvironmentVariable<Self>] {
        let ingest = DocumentIngester.Configuration()
        return [
            .init("INGEST_CHUNK_SIZE", "\(ingest.chunkSize)", "longest chunk, in characters") {
                $0.ingest.chunkSize = try Parse.integer($1, "INGEST_CHUNK_SIZE", in: 1...1_000_000)
            },
            .init("INGEST_CHUNK_OVERLAP", "\(ingest.chunkOverlap)", "characters shared by neighbouring chunks") {
                $0.ingest.chunkOverlap = try Parse.integer($1, "INGEST_CHUNK_OVERLAP", in: 0...1_000_000)
            },
            .init("INGEST_BATCH_SIZE", "\(ingest.batchSize)", "chunks embedded and upserted per request") {
                $0.ingest.batchSize = try Parse.integer($1, "INGEST_BATCH_SIZE", in: 1...2048)
            },
        ]
    }
}

extension Parse {
    /// `model=input[/output],...` (dollars per million tokens) over the default prices; throws
    /// naming the entry that does not parse or is negative.
    static func prices(_ text: String) throws(ConfigurationError) -> PriceTable {
        var table = PriceTable.defaults
        for entry in list(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let numbers = parts.count == 2 ? parts[1].split(separator: "/").map { Double($0.filter { !$0.isWhitespace }) } : []
            guard parts.count == 2, !parts[0].isEmpty, (1...2).contains(numbers.count),
                  let input = numbers[0], let output = numbers.count == 2 ? numbers[1] : 0, input >= 0, output >= 0,
                  input.isFinite, output.isFinite
            else {
                throw ConfigurationError(setting: "RAG_PRICES", "entries are model=input[/output] in dollars per million tokens, got \"\(entry)\"")
            }
            table.prices[parts[0]] = PriceTable.Price(inputPerMillion: input, outputPerMillion: output)
        }
        return table
    }
}
