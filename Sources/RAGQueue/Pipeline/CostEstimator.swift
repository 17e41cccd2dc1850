/// What a query will likely use, before it runs: the API reserves it against the tenant's budget
/// at submit, and the queue settles the reservation with what the job really used when it ends.
///
/// Tokens are estimated at four characters each: the question (embedded, and in the prompt), the
/// prompt's instructions, `top_k` chunks of at most `chunkCharacters`, and the answer at its
/// longest (`maxCompletionTokens`). It errs high on purpose: a reservation too large only delays a
/// tenant near its limit, one too small lets it overspend.
public struct CostEstimator: Sendable, Hashable {
    /// The embeddings model's name, for its price.
    public var embeddingModel: String
    /// The chat model's name, for its price.
    public var chatModel: String
    /// What the models cost.
    public var prices: PriceTable
    /// Longest chunk, in characters (`INGEST_CHUNK_SIZE`). Default 1,000.
    public var chunkCharacters: Int
    /// Longest answer, in tokens (`OPENAI_MAX_COMPLETION_TOKENS`). Default 1,000.
    public var maxCompletionTokens: Int
    /// Tokens of the prompt's fixed instructions and each chunk's framing. Default 150.
    public var promptOverheadTokens: Int = 150

    /// An estimator for these models and prices.
    public init(
        embeddingModel: String = OpenAIEmbeddings.Configuration().model, chatModel: String = OpenAIChatModel.Configuration().model,
        prices: PriceTable = .defaults, chunkCharacters: Int = 1000, maxCompletionTokens: Int = 1000
    ) {
        self.embeddingModel = embeddingModel
        self.chatModel = chatModel
        self.prices = prices
        self.chunkCharacters = chunkCharacters
        self.maxCompletionTokens = maxCompletionTokens
    }

    /// The usage `query` (validated, so `top_k` is set) is likely to reach at most.
    public func estimate(_ query: RAGQuery) -> RAGUsage {
        let questionTokens = Self.tokens(characters: query.query.count)
        let chunks = query.topK ?? 4
        var usage = RAGUsage()
        usage.embeddingTokens = questionTokens
        usage.promptTokens = promptOverheadTokens + questionTokens + chunks * (Self.tokens(characters: chunkCharacters) + 20)
        usage.completionTokens = maxCompletionTokens
        usage.vectorSearches = 1
        usage.embeddingCostUSD = prices.cost(model: embeddingModel, input: usage.embeddingTokens)
        usage.chatCostUSD = prices.cost(model: chatModel, input: usage.promptTokens, output: usage.completionTokens)
        return usage
    }

    /// Tokens of `characters` characters of English text: about four characters each, rounded up.
    static func tokens(characters: Int) -> Int {
        (characters + 3) / 4
    }
}
