/// The three backends of the pipeline, sharing one HTTP client.
public struct RAGBackends: Sendable {
    /// The HTTP client every backend sends through; run it as a service, or shut it down when done.
    public let httpClient: CurlHTTPClient
    /// OpenAI embeddings with a key, local ones without.
    public let embeddings: any EmbeddingModel
    /// Qdrant.
    public let vectorStore: any VectorStore
    /// The chat model.
    public let chat: any ChatModel
    /// Whether `embeddings` are the local, network-free ones (no `OPENAI_API_KEY`).
    public let usesLocalEmbeddings: Bool
    /// The pacers of the model calls (none when pacing is off).
    public let pacers: [ProviderPacer]

    /// Gives back what the pacers' leases hold and settles what their calls used; call before the
    /// store closes.
    public func settlePacing() async {
        for pacer in pacers { await pacer.flush(closingLease: true) }
    }
}
