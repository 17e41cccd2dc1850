/// Turns texts into vectors: the seam between the pipeline and an embeddings backend.
///
/// Implementations: `OpenAIEmbeddings` (any OpenAI-compatible API) and `LocalEmbeddings`
/// (deterministic, no network). Failures are `BackendError`s.
public protocol EmbeddingModel: Sendable {
    /// The model's name as the backend knows it, e.g. `text-embedding-3-large`.
    var modelName: String { get }

    /// The length of every vector this model returns.
    func dimension() async throws -> Int

    /// One vector per text, in the same order; an empty batch gives an empty result.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

extension EmbeddingModel {
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
