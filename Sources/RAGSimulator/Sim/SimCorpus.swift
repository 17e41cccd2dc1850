import FakeBackends
import Foundation

/// A seeded, synthetic corpus and the questions asked of it: the same seed gives the same text.
///
/// Each document is a paged text file (pages split by form feeds, as `pdftotext` writes them) about
/// one topic; every question names a topic and a term that occurs in that topic's pages, so
/// retrieval has something to find.
struct SimCorpus: Sendable {
    /// One document: its file name and its text.
    struct Document: Sendable, Hashable {
        /// File name inside the corpus folder.
        var name: String
        /// The text, pages separated by form feeds.
        var text: String
    }

    /// The documents.
    let documents: [Document]
    /// The questions, in a seeded order.
    let questions: [String]

    private static let topics = [
        "queue leases", "vector search", "token streaming", "retry backoff", "worker shutdown",
        "embedding models", "rate limits", "chunk overlap", "page labels", "cluster slots",
    ]
    private static let terms = [
        "latency", "throughput", "deadline", "fencing", "heartbeat", "backlog", "cosine", "payload", "prompt",
        "context", "batch", "replica", "snapshot", "checkpoint", "window", "budget", "quota", "tenant", "webhook",
        "cursor", "offset", "shard", "index", "cache", "timeout", "jitter", "burst", "drain", "lease", "ceiling",
    ]
    private static let verbs = ["bounds", "shapes", "limits", "explains", "governs", "raises", "lowers", "protects", "measures", "hides"]
    private static let closings = [
        "under load", "when a worker restarts", "for every tenant", "in the steady state", "after a failover",
        "during ingestion", "at the ninety-fifth percentile", "within one lease",
    ]

    /// A corpus of `documents` documents of `pages` pages each and `questions` questions, all from `seed`.
    init(seed: UInt64, documents documentCount: Int = 10, pages: Int = 3, questions questionCount: Int = 64) {
        var random = SeededRandom(mixing: seed, 0x5EED_C0B5)
        var documents: [Document] = []
        var topicTerms: [(topic: String, terms: [String])] = []
        for number in 0..<documentCount {
            let topic = Self.topics[number % Self.topics.count]
            var used: [String] = []
            var pageTexts: [String] = []
            for page in 0..<pages {
                var paragraphs: [String] = ["\(topic.capitalized), part \(page + 1)"]
                for _ in 0..<4 {
                    var sentences: [String] = []
                    for _ in 0..<5 {
                        let term = Self.pick(Self.terms, &random)
                        let other = Self.pick(Self.terms, &random)
                        if !used.contains(term) { used.append(term) }
                        sentences.append(
                            "In \(topic), the \(term) \(Self.pick(Self.verbs, &random)) the \(other) \(Self.pick(Self.closings, &random))."
                        )
                    }
                    paragraphs.append(sentences.joined(separator: " "))
                }
                pageTexts.append(paragraphs.joined(separator: "\n\n"))
            }
            let name = (number < 9 ? "0" : "") + "\(number + 1)-\(topic.replacingOccurrences(of: " ", with: "-")).txt"
            documents.append(Document(name: name, text: pageTexts.joined(separator: "\n\u{0C}") + "\n\u{0C}"))
            topicTerms.append((topic, used))
        }
        var questions: [String] = []
        let forms: [@Sendable (String, String) -> String] = [
            { "What does the \($0) do in \($1)?" }, { "How is the \($0) handled in \($1)?" }, { "Why does the \($0) matter for \($1)?" },
        ]
        for _ in 0..<max(1, questionCount) {
            let entry = topicTerms[Int(random.next() % UInt64(topicTerms.count))]
            let term = entry.terms.isEmpty ? "queue" : Self.pick(entry.terms, &random)
            let form = forms[Int(random.next() % UInt64(forms.count))]
            questions.append(form(term, entry.topic))
        }
        self.documents = documents
        self.questions = questions
    }

    /// Writes the documents into a new folder under `parent` and returns its path.
    func write(under parent: URL) throws -> String {
        let folder = parent.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for document in documents {
            try Data(document.text.utf8).write(to: folder.appendingPathComponent(document.name))
        }
        return folder.path
    }

    /// `question` reworded, the same meaning in other words: variant 0 drops the capital and the
    /// question mark; 1 moves a closing "in ..." or "for ..." to the front; 2 adds "exactly"; 3 asks "Could you
    /// explain: ...". The fake's embeddings (bags of words) put 0 and 1 nearly on the question (0.99+),
    /// 2 about 0.94 and 3 about 0.82 from it, while two of the corpus's questions that differ in one
    /// word are about 0.87 apart: a threshold between catches some rewordings without taking a
    /// neighbour's answer, which is what `ragsim --paraphrase` measures.
    static func paraphrase(_ question: String, variant: Int) -> String {
        var body = question.trimmingCharacters(in: .whitespaces)
        if body.hasSuffix("?") { body.removeLast() }
        let lowered = body.prefix(1).lowercased() + body.dropFirst()
        switch variant % 4 {
        case 0:
            return lowered
        case 1:
            let closing = [" in ", " for "].compactMap { body.range(of: $0, options: .backwards) }.max { $0.lowerBound < $1.lowerBound }
            guard let closing else { return "So, " + lowered + "?" }
            let head = body[..<closing.lowerBound]
            let preposition = body[closing].trimmingCharacters(in: .whitespaces).capitalized
            return "\(preposition) \(body[closing.upperBound...]), " + head.prefix(1).lowercased() + head.dropFirst() + "?"
        case 2:
            return body + " exactly?"
        default:
            return "Could you explain: " + lowered + "?"
        }
    }

    private static func pick(_ items: [String], _ random: inout SeededRandom) -> String {
        items[Int(random.next() % UInt64(items.count))]
    }
}
