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

    public init(ttl: Duration = .zero, chatModel: String = "", promptVersion: String = "", shared: Bool = false) {
        self.ttl = ttl
        self.chatModel = chatModel
        self.promptVersion = promptVersion
        self.shared = shared
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
        let parts = [
            "answer-v1", shared ? "shared" : "tenant:" + (tenant ?? "-"), Self.normalized(query.query), collection, query.topK.map(String.init) ?? "",
            query.filter.map { JSONValue.object($0).description } ?? "", chatModel, promptVersion,
        ]
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8))
        let key = digest.map { String(format: "%02x", $0) }.joined()
        return AnswerCacheEntry(key: key, collection: collection, ttl: ttl, lookup: query.cache ?? true)
    }
}
