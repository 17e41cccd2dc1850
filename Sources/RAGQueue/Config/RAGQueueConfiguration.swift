import Logging

/// Everything a RAGQueue process can be told, gathered from the subsystems that own it.
///
/// Each field is the owning subsystem's own configuration type, with its defaults written there
/// once: the queue's `QueueConfiguration`, the pipeline's `RAGPipeline.Configuration` (with the
/// `QueryRules` the API enforces too), the worker's, the clients'. Wiring (addresses, keys) sits
/// apart from behaviour (limits, concurrency). Load it from the environment with
/// `init(environment:)`; `environmentVariables` lists the variables, which `ragserve --help` and the
/// README mirror.
public struct RAGQueueConfiguration: Sendable {
    /// Valkey holding the job queue: `valkey://[user:password@]host:port[/db]`. Default `valkey://127.0.0.1:6379`.
    /// Or `valkey-sentinel://[user:password@]host:port,host:port/primary[/db]`.
    public var valkeyURL: String = "valkey://127.0.0.1:6379"
    /// The primary's name at the sentinels, when `VALKEY_SENTINELS` is set. Default `mymaster`.
    public var valkeySentinelMaster = "mymaster"
    /// The job queue: prefix, name, lease, attempts, TTLs, depth, retry backoff.
    public var queue = QueueConfiguration()
    /// Where the OpenAI-compatible API is, and its key. Without a key, embeddings are local.
    public var openAI = OpenAIEndpoint()
    /// The embeddings model.
    public var embeddings = OpenAIEmbeddings.Configuration()
    /// The local embeddings used without an OpenAI key.
    public var localEmbeddings = LocalEmbeddings.Configuration()
    /// The chat model.
    public var chat = OpenAIChatModel.Configuration()
    /// The Qdrant vector database.
    public var qdrant = QdrantVectorStore.Configuration()
    /// Pacing of the model calls against the providers' per-minute limits, shared by every worker.
    public var pacing = ProviderPacer.Configuration()
    /// The outbound HTTP client every backend client shares (deadlines, connections).
    public var http = CurlHTTPClient.Configuration()
    /// Retrieval, prompting, and the rules a query must follow.
    public var pipeline = RAGPipeline.Configuration()
    /// Worker processes.
    public var worker = Worker.Configuration()
    /// Document ingestion (`ragserve ingest`).
    public var ingest = DocumentIngester.Configuration()
    /// How long an answer may answer the same question again (`AnswerCachePolicy`); zero, the
    /// default, turns the answer cache off.
    public var answerCacheTTL: Duration = .zero
    /// Whether tenants share cached answers (`AnswerCachePolicy.shared`). Default false.
    public var answerCacheShared = false
    /// The cosine similarity above which a question reuses a similar question's cached answer
    /// (`AnswerCachePolicy.semanticThreshold`); zero, the default, turns the semantic cache off.
    public var semanticCacheThreshold = 0.0
    /// Least severe level logged. Default `info`.
    public var logLevel: Logger.Level = .info
    /// How log lines are written (`LOG_FORMAT`).
    public var logFormat: LogFormat = .text
    /// The port of a worker's metrics server (`WORKER_METRICS_PORT`); nil: none.
    public var workerMetricsPort: Int?
    /// The address it binds (`WORKER_METRICS_HOST`).
    public var workerMetricsHost = "0.0.0.0"
    /// Whether a worker process runs its jobs on its backends' HTTP client's thread
    /// (`WORKER_JOBS_ON_HTTP_THREAD`, default true): a RAG job mostly waits on that client, and
    /// each response then resumes it where it was read, without two thread hops; but the job code
    /// of a process then runs on that one thread. Off, jobs run on Swift's global pool.
    public var workerJobsOnHTTPThread = true

    /// The defaults.
    public init() {}

    /// Whether an OpenAI key is set; without one, embeddings are computed locally.
    public var hasOpenAIKey: Bool { !openAI.apiKey.isEmpty }
}
