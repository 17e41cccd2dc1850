import Crypto
import Foundation

/// When a stored answer may answer a query again, and under which key.
///
/// The key is a SHA-256 over everything the answer depends on: the question as normalized below,
/// the collection, `top_k`, the filter, the chat model and the prompt (its version, page numbering,
/// chat options and excerpt length), and the scope: by default the tenant, so a tenant never
/// receives another tenant's answer; with `shared` one scope for every tenant whose cache is on (for
/// a deployment whose tenants read the same documents and may see each other's answers). The queue
/// appends the collection's version, which every ingest bumps: no answer
/// retrieved before an ingest answers after it. A query with `"cache": false` is not answered from
/// the cache, and its fresh answer is cached in turn.
///
/// The semantic cache (`semanticThreshold` above 0) goes further, in the worker: after embedding
/// the question, a job reuses the cached answer of an earlier question of its scope (the same key
/// without the question's words, plus the embedding model) whose embedding's cosine similarity to
/// its own is at or above the threshold (`SemanticAnswerIndex`), and makes no retrieval or chat call.
public struct AnswerCachePolicy: Sendable, Hashable {
    /// How long a stored answer may answer again; zero turns the cache off.
    public var ttl: Duration
    /// The chat model that writes answers.
    public var chatModel: String
    /// What else shapes an answer: prompt version, page numbering, chat options, excerpt length.
    public var promptVersion: String
    /// Whether tenants share answers (`RAGQ_ANSWER_CACHE_SCOPE=shared`). Default false: each
    /// tenant reads only its own.
    public var shared: Bool
    /// The similarity at or above which a similar question's answer is reused; 0 turns the
    /// semantic cache off (`RAGQ_SEMANTIC_CACHE_THRESHOLD`).
    public var semanticThreshold: Double
    /// The embedding model whose vectors the semantic cache compares.
    public var embeddingModel: String

    public init(
        ttl: Duration = .zero, chatModel: String = "", promptVersion: String = "", shared: Bool = false, semanticThreshold: Double = 0,
        embeddingModel: String = ""
    ) {
        self.ttl = ttl
        self.chatModel = chatModel
        self.promptVersion = promptVersion
        self.shared = shared
        self.semanticThreshold = semanticThreshold
        self.embeddingModel = embeddingModel
    }

    public var isEnabled: Bool { ttl > .zero }

    /// The question as the cache compares it: Unicode compatibility composition (NFKC), case folded,
    /// runs of white space as one space, no leading or trailing white space. "What is  RAG?" and
    /// "what is rag?" are the same question; "What is RAG" (no question mark) is another.
    public static func normalized(_ question: String) -> String {
        let folded = question.precomposedStringWithCompatibilityMapping.folding(options: [.caseInsensitive], locale: nil)
        return folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The cache entry of a validated `query` sent by `tenant`, or nil when the cache is off.
    public func entry(for query: RAGQuery, tenant: String?) -> AnswerCacheEntry? {
        guard isEnabled else { return nil }
        let collection = query.collection ?? ""
        let context = [
            shared ? "shared" : "tenant:" + (tenant ?? "-"), collection, query.topK.map(String.init) ?? "",
            query.filter.map { JSONValue.object($0).description } ?? "", chatModel, promptVersion,
        ]
        let key = Self.digest(["answer-v1", Self.normalized(query.query)] + context)
        let scope = semanticThreshold > 0 ? Self.digest(["semantic-v1", embeddingModel] + context) : nil
        return AnswerCacheEntry(key: key, collection: collection, ttl: ttl, lookup: query.cache ?? true, scope: scope)
    }

    /// SHA-256 of the parts, hex.
    private static func digest(_ parts: [String]) -> String {
        SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8)).lowercaseHex
    }
}
