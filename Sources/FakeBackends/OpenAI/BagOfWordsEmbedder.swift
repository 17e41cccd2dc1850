/// The fake's embedding model: hashed bags of words, unit length.
///
/// Each lowercase word (or token id) adds ±1 to four buckets chosen by its hash, and a small
/// pseudo-random term derived from the whole text breaks ties, so texts that share words lie near
/// each other and retrieval over a real corpus returns the relevant chunks. The vector is a pure
/// function of (model, input); it does not depend on the server's seed, so a corpus indexed by one
/// fake can be searched through another.
public enum BagOfWordsEmbedder {
    /// How many buckets each word touches.
    static let bucketsPerWord = 4
    /// The norm of the per-text term relative to the words' part.
    static let noiseShare: Float = 0.05

    /// The input of one embedding: a string or a list of token ids.
    public enum Input: Sendable, Hashable {
        /// A text, split into lowercase words.
        case text(String)
        /// Token ids, each treated as one word.
        case tokens([Int64])
    }

    /// The unit vector of `input` for `model`: `nativeDimensions` long, then cut to its first
    /// `dimensions` numbers and renormalised when `dimensions` is given.
    public static func embed(_ input: Input, model: String, nativeDimensions: Int, dimensions: Int? = nil) -> [Float] {
        let size = max(1, nativeDimensions)
        var vector = [Float](repeating: 0, count: size)
        let modelHash = StableHash.hash(model)
        var inputHash = modelHash
        switch input {
        case .text(let text):
            inputHash = StableHash.hash(text.utf8, seed: modelHash ^ 0x7E47)
            for word in words(of: text) {
                add(wordHash: StableHash.hash(word.utf8, seed: modelHash), to: &vector)
            }
        case .tokens(let tokens):
            for token in tokens {
                let tokenHash = SeededRandom.mix(UInt64(bitPattern: token) ^ modelHash ^ 0x70CE)
                inputHash = SeededRandom.mix(inputHash ^ tokenHash)
                add(wordHash: tokenHash, to: &vector)
            }
        }
        addNoise(seed: inputHash, to: &vector)
        if let dimensions, dimensions < size {
            vector.removeSubrange(max(1, dimensions)...)
        }
        normalize(&vector)
        return vector
    }

    /// The lowercase words of `text`: maximal runs of letters and digits.
    static func words(of text: String) -> [String] {
        var result = [String]()
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                result.append(current)
                current = ""
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private static func add(wordHash: UInt64, to vector: inout [Float]) {
        var random = SeededRandom(seed: wordHash)
        for _ in 0..<bucketsPerWord {
            let bits = random.next()
            let bucket = Int(bits % UInt64(vector.count))
            vector[bucket] += (bits >> 63) == 0 ? 1 : -1
        }
    }

    private static func addNoise(seed: UInt64, to vector: inout [Float]) {
        let wordsNorm = norm(vector)
        var random = SeededRandom(seed: seed)
        var noise = [Float](repeating: 0, count: vector.count)
        for index in noise.indices {
            noise[index] = Float(random.nextUnit() * 2 - 1)
        }
        let noiseNorm = norm(noise)
        guard noiseNorm > 0 else { return }
        let scale = noiseShare * max(wordsNorm, 1) / noiseNorm
        for index in vector.indices {
            vector[index] += noise[index] * scale
        }
    }

    private static func norm(_ vector: [Float]) -> Float {
        var sum: Float = 0
        for value in vector { sum += value * value }
        return sum.squareRoot()
    }

    private static func normalize(_ vector: inout [Float]) {
        let length = norm(vector)
        guard length > 0 else { return }
        for index in vector.indices { vector[index] /= length }
    }
}
