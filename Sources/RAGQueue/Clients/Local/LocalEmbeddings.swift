/// A deterministic embedding model that needs no network: hashed bag of words and character trigrams.
///
/// Used when no OpenAI key is configured, as the seed falls back from OpenAI to a local model.
/// Each lowercase word and each character trigram of a word adds a signed weight to one hashed
/// bucket; the vector is then scaled to unit length. Texts sharing words therefore score high under
/// cosine, unrelated texts near 0. The vector is a pure function of the text and the configuration,
/// stable across processes and platforms.
public struct LocalEmbeddings: EmbeddingModel {
    /// The model's shape.
    public struct Configuration: Sendable, Hashable {
        /// Vector length; default 384 (like the seed's `bge-small-en-v1.5` and `FakeEmbeddings(size=384)`).
        public var dimension: Int = 384
        /// Weight of each whole word; default 1.
        public var wordWeight: Float = 1
        /// Weight of each character trigram, which makes near spellings near; default 0.35.
        public var trigramWeight: Float = 0.35

        /// Creates the default configuration.
        public init() {}
    }

    /// The configuration in use.
    public let configuration: Configuration

    /// `local-hash-v1-<dimension>`.
    public var modelName: String { "local-hash-v1-\(self.configuration.dimension)" }

    /// Creates the model; a dimension below 8 is raised to 8.
    public init(configuration: Configuration = .init()) {
        var configuration = configuration
        configuration.dimension = max(8, configuration.dimension)
        self.configuration = configuration
    }

    /// The configured dimension.
    public func dimension() -> Int {
        self.configuration.dimension
    }

    /// One unit-length vector per text.
    public func embed(_ texts: [String]) -> [[Float]] {
        texts.map(self.vector(for:))
    }

    /// One unit-length vector per text; computed here, so no tokens are billed.
    public func embeddings(for texts: [String]) -> Embeddings {
        Embeddings(vectors: embed(texts), tokens: 0)
    }

    /// The unit-length vector of one text.
    public func vector(for text: String) -> [Float] {
        let dimension = self.configuration.dimension
        var vector = [Float](repeating: 0, count: dimension)
        for word in Self.words(of: text) {
            Self.add("w:" + word, weight: self.configuration.wordWeight, to: &vector)
            let letters = Array("^" + word + "$")
            if letters.count >= 3 {
                for start in 0...(letters.count - 3) {
                    Self.add("t:" + String(letters[start..<start + 3]), weight: self.configuration.trigramWeight, to: &vector)
                }
            }
        }
        var norm: Float = 0
        for value in vector { norm += value * value }
        guard norm > 0 else {
            // No words at all: a fixed unit vector, so cosine stays defined.
            vector[0] = 1
            return vector
        }
        let scale = 1 / norm.squareRoot()
        for index in vector.indices { vector[index] *= scale }
        return vector
    }

    /// Lowercase runs of letters and digits.
    static func words(of text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static func add(_ feature: String, weight: Float, to vector: inout [Float]) {
        let hash = Self.mix(Self.fnv1a(feature))
        let bucket = Int(hash % UInt64(vector.count))
        let sign: Float = (hash >> 63) == 0 ? 1 : -1
        vector[bucket] += sign * weight
    }

    /// 64-bit FNV-1a over UTF-8: stable everywhere, unlike `Hasher`, which is seeded per process.
    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// SplitMix64's finaliser, so that bucket and sign bits are both well spread.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
