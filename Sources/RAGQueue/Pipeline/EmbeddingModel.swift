/// Turns texts into vectors: the seam between the pipeline and an embeddings backend.
///
/// Implementations: `OpenAIEmbeddings` (any OpenAI-compatible API) and `LocalEmbeddings`
/// (deterministic, no network). Failures are `BackendError`s.
public protocol EmbeddingModel: Sendable {
    /// The model's name as the backend knows it, e.g. `text-embedding-3-large`.
    var modelName: String { get }

    /// The length of every vector this model returns.
    func dimension() async throws -> Int

    /// One vector per text, in the same order, and the tokens the backend counted; an empty batch
    /// gives an empty result.
    func embeddings(for texts: [String]) async throws -> Embeddings
}

/// Vectors and what they cost in tokens.
public struct Embeddings: Sendable, Hashable {
    /// One vector per text, in order.
    public var vectors: [[Float]]
    /// Input tokens the backend counted (0 for a local model).
    public var tokens: Int

    /// Vectors with their token count.
    public init(vectors: [[Float]], tokens: Int) {
        self.vectors = vectors
        self.tokens = tokens
    }
}

extension EmbeddingModel {
    /// One vector per text, in the same order.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embeddings(for: texts).vectors
    }

    /// The vector of one text.
    public func embed(_ text: String) async throws -> [Float] {
        let vectors = try await self.embed([text])
        guard let vector = vectors.first, vectors.count == 1 else {
            throw BackendError(
                .invalidResponse,
                backend: self.modelName,
                message: "expected 1 embedding, got \(vectors.count)"
            )
        }
        return vector
    }
}
