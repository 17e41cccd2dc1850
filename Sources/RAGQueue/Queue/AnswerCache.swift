/// The semantic answer cache's records, kept by the queue beside the exact cache (`AnswerCachePolicy`).
///
/// A job with a semantic scope (`ClaimedJob.answerScope`: everything its answer depends on but
/// the question's words, and the collection's version) adds its question's embedding to the
/// scope's index when it finishes, pointing at its cached answer. A later job of the same scope
/// compares its own question's embedding with the index (`SemanticAnswerIndex`); above the
/// threshold it reuses that answer instead of retrieving and asking the chat model.

/// What a finished attempt adds to the answer cache besides its answer.
public struct AnswerCacheWrite: Sendable, Hashable {
    /// The question's embedding, for later questions of the job's semantic scope to compare with;
    /// nil adds nothing to the index.
    public var vector: [Float]?
    /// The cached answer the job reused instead of running the model; nil when it ran.
    public var reused: ReusedAnswer?

    public init(vector: [Float]? = nil, reused: ReusedAnswer? = nil) {
        self.vector = vector
        self.reused = reused
    }
}

/// A cached answer that a similar question reused.
public struct ReusedAnswer: Sendable, Hashable {
    /// The job that produced the answer.
    public var job: JobID
    /// The cosine similarity of the two questions' embeddings.
    public var similarity: Double
    /// What producing the answer cost, in millionths of a US dollar: what reusing it saved.
    public var costMicroUSD: Int64

    public init(job: JobID, similarity: Double, costMicroUSD: Int64) {
        self.job = job
        self.similarity = similarity
        self.costMicroUSD = costMicroUSD
    }
}

/// A cached answer as the queue keeps it.
public struct CachedAnswer: Sendable, Hashable {
    /// The answer (the producing job's result).
    public var result: [UInt8]
    /// The job that produced it.
    public var job: JobID
    /// What producing it cost, in millionths of a US dollar.
    public var costMicroUSD: Int64

    public init(result: [UInt8], job: JobID, costMicroUSD: Int64) {
        self.result = result
        self.job = job
        self.costMicroUSD = costMicroUSD
    }
}

/// Entries of a semantic scope's index, oldest first, and where to read on from.
public struct SimilarAnswers: Sendable, Hashable {
    /// One answered question: its embedding and the reference of its cached answer
    /// (`JobStore.cachedAnswer(_:)`).
    public struct Entry: Sendable, Hashable {
        public var answer: String
        public var vector: [Float]

        public init(answer: String, vector: [Float]) {
            self.answer = answer
            self.vector = vector
        }
    }

    public var entries: [Entry]
    /// The last entry's position; pass it back to read only newer ones. Nil when there were none.
    public var cursor: String?

    public init(entries: [Entry], cursor: String?) {
        self.entries = entries
        self.cursor = cursor
    }

    /// Entries a scope's index keeps: the oldest go beyond this.
    public static let capacity = 1000

    /// `vector` as the index stores it: 4 bytes per number, little-endian IEEE 754.
    public static func pack(_ vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The vector `pack` stored; nil when the bytes are not whole numbers.
    public static func unpack(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map { offset in
            let bits = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}
