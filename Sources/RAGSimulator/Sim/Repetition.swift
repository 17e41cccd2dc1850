/// How a run's questions repeat, and what the answer cache makes of them.
///
/// `zipf` draws the corpus's questions by popularity (`QuestionPopularity`); `paraphrase` sends that
/// share of them reworded (`SimCorpus.paraphrase`), so the exact cache misses them and only the
/// semantic cache can answer; `answerCacheSeconds` and `semanticThreshold` turn the API's and the
/// workers' caches on. The report counts semantic hits whose source asked another question as
/// false hits.
public struct Repetition: Sendable, Hashable, Codable {
    /// Zipf exponent of the questions' popularity; 0 asks them in turn.
    public var zipf = 0.0
    /// Share of queries sent as a paraphrase of their question (0...1).
    public var paraphrase = 0.0
    /// The answer cache's TTL in seconds; 0 keeps it off.
    public var answerCacheSeconds = 0.0
    /// The semantic cache's similarity threshold; 0 keeps it off.
    public var semanticThreshold = 0.0

    public init(zipf: Double = 0, paraphrase: Double = 0, answerCacheSeconds: Double = 0, semanticThreshold: Double = 0) {
        self.zipf = zipf
        self.paraphrase = paraphrase
        self.answerCacheSeconds = answerCacheSeconds
        self.semanticThreshold = semanticThreshold
    }

    /// Whether anything differs from the default (questions in turn, no cache).
    var isSet: Bool { self != Repetition() }

    /// The variables that turn the caches on in the API's and the workers' environment.
    var environment: [String: String] {
        var environment: [String: String] = [:]
        if answerCacheSeconds > 0 { environment["RAGQ_ANSWER_CACHE_TTL_SECONDS"] = Simulation.number(answerCacheSeconds) }
        // Every digit: a threshold rounded to one decimal would be another threshold.
        if semanticThreshold > 0 { environment["RAGQ_SEMANTIC_CACHE_THRESHOLD"] = String(semanticThreshold) }
        return environment
    }
}
