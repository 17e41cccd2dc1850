import Logging

/// Everything a RAGQueue process can be told: one struct of documented defaults, grouped by subsystem.
///
/// Wiring (addresses, keys, prefixes) sits apart from behaviour (concurrency, limits). Load it from
/// the environment with `init(environment:)`; the variables are listed in `environmentVariables`,
/// which `ragserve --help` and the README mirror. Add a section by adding a nested `…Options`
/// struct, a stored property and its variables (see `RAGQueueConfiguration+Environment.swift`).
public struct RAGQueueConfiguration: Sendable {
    /// Valkey holding the job queue: `valkey://[user:password@]host:port[/db]`. Default `valkey://127.0.0.1:6379`.
    public var valkeyURL: String = "valkey://127.0.0.1:6379"
    /// The job queue: prefix, name, lease, attempts, TTLs, depth, retry backoff.
    public var queue = QueueConfiguration()
    /// The OpenAI-compatible API for embeddings and chat.
    public var openAI = OpenAIOptions()
    /// The Qdrant vector database.
    public var qdrant = QdrantOptions()
    /// Retrieval and prompting.
    public var rag = RAGOptions()
    /// Worker processes.
    public var worker = WorkerOptions()
    /// Document ingestion (`ragserve ingest`).
    public var ingest = IngestOptions()
    /// The HTTP API (`ragserve api`): address, keys, rate limit, request limits, webhooks.
    public var api = APIConfiguration()
    /// Least severe level logged. Default `info`.
    public var logLevel: Logger.Level = .info

    /// The defaults.
    public init() {}

    /// Where the OpenAI-compatible API is and which models to use.
    public struct OpenAIOptions: Sendable, Hashable {
        /// The API key; nil (default) means no OpenAI: embeddings are computed locally and chat is unavailable.
        /// Never logged, never put in job errors or results.
        public var apiKey: String?
        /// The API root including `/v1`. Default `https://api.openai.com/v1`.
        public var baseURL: String = OpenAIEndpoint.defaultBaseURL
        /// Sent as `OpenAI-Organization` when set. Default nil.
        public var organization: String?
        /// Sent as `OpenAI-Project` when set. Default nil.
        public var project: String?
        /// Embedding model. Default `text-embedding-3-small` (1536-d).
        public var embeddingModel: String = "text-embedding-3-small"
        /// Shorter vectors from a text-embedding-3 model; nil (default) keeps the native size.
        public var embeddingDimensions: Int?
        /// Chat model. Default `gpt-4.1-mini`.
        public var chatModel: String = "gpt-4.1-mini"
        /// Most tokens in an answer; nil (default) leaves it to the API.
        public var maxCompletionTokens: Int?
        /// Whole-call deadline of one request (a whole stream for streamed answers). Default 60 s.
        public var requestTimeout: Duration = .seconds(60)
        /// TCP and TLS connect deadline. Default 10 s.
        public var connectTimeout: Duration = .seconds(10)

        /// The defaults.
        public init() {}
    }

    /// Where Qdrant is.
    public struct QdrantOptions: Sendable, Hashable {
        /// Qdrant's REST URL. Default `http://localhost:6333`.
        public var url: String = "http://localhost:6333"
        /// Sent as the `api-key` header when set. Default nil. Never logged.
        public var apiKey: String?
        /// Whole-call deadline of one request. Default 30 s.
        public var requestTimeout: Duration = .seconds(30)

        /// The defaults.
        public init() {}
    }

    /// How questions are answered.
    public struct RAGOptions: Sendable, Hashable {
        /// Collection searched when a job names none. Default `learning_vectors` (the course pattern's).
        public var defaultCollection: String = "learning_vectors"
        /// Chunks put in the prompt when a job does not say. Default 4 (the seed's and langchain's `k`).
        public var topK: Int = 4
        /// Most chunks a job may ask for. Default 20.
        public var maxTopK: Int = 20
        /// What the prompt's `Page Number:` line shows. Default `.label` (printed, 1-based).
        public var pageNumbering: PromptBuilder.PageNumbering = .label
        /// Characters of each chunk kept as the source's excerpt in results. Default 240.
        public var excerptLength: Int = 240
        /// Times a stage waits out a backend's rate limit inside the attempt. Default 2.
        public var rateLimitRetries: Int = 2
        /// Longest `Retry-After` waited out inside the attempt. Default 10 s.
        public var maxRateLimitWait: Duration = .seconds(10)

        /// The defaults.
        public init() {}
    }

    /// How a worker process runs jobs.
    public struct WorkerOptions: Sendable, Hashable {
        /// Jobs run at once per process; they wait on the network, so many fit. Default 32.
        public var concurrency: Int = 32
        /// How long running jobs may take to finish after SIGTERM before they are handed back. Default 20 s.
        public var shutdownGrace: Duration = .seconds(20)
        /// Dimension of the local embeddings used without an OpenAI key. Default 384 (the seed's bge-small).
        public var localEmbeddingDimension: Int = 384

        /// The defaults.
        public init() {}
    }

    /// How documents are cut and stored.
    public struct IngestOptions: Sendable, Hashable {
        /// Longest chunk, in characters. Default 1,000.
        public var chunkSize: Int = 1000
        /// Characters repeated between neighbouring chunks of a page. Default 200.
        public var chunkOverlap: Int = 200
        /// Chunks embedded and upserted per request. Default 64 (langchain-qdrant's batch size).
        public var batchSize: Int = 64

        /// The defaults.
        public init() {}
    }
}
