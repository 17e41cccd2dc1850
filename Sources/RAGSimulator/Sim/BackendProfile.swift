import FakeBackends

/// How the embedded fake backends behave: named latency profiles for `--profile`.
public enum BackendProfile: String, Sendable, CaseIterable {
    /// Latencies like the hosted services: embeddings ~100-300 ms, Qdrant ~5-20 ms, chat ~1-3 s
    /// with tokens streamed at ~35 per second. The default.
    case openaiTypical = "openai-typical"
    /// No added latency: measures the queue, the processes and the fakes themselves.
    case zero
    /// The same time for every call: embeddings 100 ms, Qdrant 20 ms, chat 430 ms (550 ms a
    /// job), nothing streamed per token; what `bench-worker` compares its latencies with.
    case fixed

    /// One line for the scenario header.
    var summary: String {
        switch self {
        case .openaiTypical: "embeddings ~100-300 ms, qdrant ~5-20 ms, chat ~1-3 s (28 ms/token)"
        case .zero: "no added latency"
        case .fixed: "fixed: embeddings 100 ms, qdrant 20 ms, chat 430 ms (550 ms a job)"
        }
    }

    /// The fake OpenAI server's latencies.
    var openAILatency: LatencyProfile<FakeOpenAIServer.Endpoint> {
        switch self {
        case .openaiTypical:
            LatencyProfile(
                default: .lognormal(median: .milliseconds(60), sigma: 0.3),
                perEndpoint: [
                    .embeddings: .lognormal(median: .milliseconds(170), sigma: 0.3),
                    // Time to the first token; the answer's ~20-30 tokens add ~0.6-0.8 s at 28 ms each.
                    .chatCompletions: .lognormal(median: .milliseconds(900), sigma: 0.3),
                ],
                perOutputToken: .milliseconds(28)
            )
        case .zero:
            LatencyProfile()
        case .fixed:
            LatencyProfile(
                default: .fixed(.zero),
                perEndpoint: [.embeddings: .fixed(WorkerBenchmark.embeddingTime), .chatCompletions: .fixed(WorkerBenchmark.chatTime)]
            )
        }
    }

    /// The fake Qdrant server's latencies.
    var qdrantLatency: LatencyProfile<FakeQdrantServer.Endpoint> {
        switch self {
        case .openaiTypical: LatencyProfile(default: .lognormal(median: .milliseconds(10), sigma: 0.35))
        case .zero: LatencyProfile()
        case .fixed: LatencyProfile(default: .fixed(WorkerBenchmark.searchTime))
        }
    }
}
