import Synchronization

/// The semantic answer cache as one worker process sees it: each scope's index of answered
/// questions (embeddings and answer references), mirrored from the queue, and the nearest answered
/// question at or above the threshold.
///
/// Before each lookup the scope's mirror reads only the entries it has not seen (one `XRANGE` that
/// is usually empty), so the queue stays the one owner of the index and every worker sees the
/// answers of every other. A process mirrors at most `scopeCapacity` scopes (the least recently
/// used goes first); the queue caps each scope's index at `SimilarAnswers.capacity` entries.
/// Comparing a question with a full scope costs 1,000 dot products of the embedding's length.
public final class SemanticAnswerIndex: Sendable {
    /// The cosine similarity at or above which an answer is reused.
    public let threshold: Double
    /// Scopes mirrored at most.
    public static let scopeCapacity = 64

    private struct Scope {
        var cursor: String?
        /// Unit vectors and their answers' references, oldest first.
        var entries: [(answer: String, vector: [Float])] = []
        var lastUse: UInt64 = 0
    }

    private let store: any JobStore
    private let scopes = Mutex<(table: [String: Scope], uses: UInt64)>(([:], 0))

    public init(store: any JobStore, threshold: Double) {
        self.store = store
        self.threshold = threshold
    }

    /// The cached answer of the question of `scope` nearest to `vector`, with the similarity, when
    /// it is at or above the threshold; nil when none is, or when the answers that are have expired.
    public func nearest(to vector: [Float], in scope: String) async throws(QueueError) -> (answer: CachedAnswer, similarity: Double)? {
        let cursor = scopes.withLock { $0.table[scope]?.cursor }
        let fresh = try await store.similarAnswers(in: scope, after: cursor)
        let entries = scopes.withLock { state in
            state.uses += 1
            var mirror = state.table[scope] ?? Scope()
            // Another lookup may have read the same entries meanwhile: only the first adds them.
            if mirror.cursor == cursor {
                mirror.entries += fresh.entries.compactMap { entry in Self.unit(entry.vector).map { (entry.answer, $0) } }
                if mirror.entries.count > SimilarAnswers.capacity { mirror.entries.removeFirst(mirror.entries.count - SimilarAnswers.capacity) }
                mirror.cursor = fresh.cursor
            }
            mirror.lastUse = state.uses
            state.table[scope] = mirror
            if state.table.count > Self.scopeCapacity, let oldest = state.table.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.table[oldest] = nil
            }
            return mirror.entries
        }
        guard let question = Self.unit(vector) else { return nil }
        let candidates = entries.compactMap { entry -> (answer: String, similarity: Double)? in
            guard entry.vector.count == question.count else { return nil }
            let similarity = Double(Self.dot(entry.vector, question))
            return similarity >= threshold ? (entry.answer, similarity) : nil
        }
        // The nearest first; an answer that expired gives way to the next.
        for candidate in candidates.sorted(by: { $0.similarity > $1.similarity }).prefix(3) {
            if let answer = try await store.cachedAnswer(candidate.answer) { return (answer, min(1, candidate.similarity)) }
        }
        return nil
    }

    /// `vector` scaled to length 1; nil for a zero or non-finite vector.
    static func unit(_ vector: [Float]) -> [Float]? {
        let length = dot(vector, vector).squareRoot()
        guard length.isFinite, length > 0 else { return nil }
        return vector.map { $0 / length }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for index in 0..<min(a.count, b.count) { sum += a[index] * b[index] }
        return sum
    }
}
