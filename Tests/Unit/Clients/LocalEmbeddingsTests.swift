import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("LocalEmbeddings")
    struct LocalEmbeddingsTests {
        private func cosine(_ a: [Float], _ b: [Float]) -> Float {
            zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        }

        @Test("vectors have the configured dimension and unit length", arguments: ["", "Hello world", "Qdrant stores vectors; Valkey stores jobs."])
        func unitLength(text: String) {
            let model = LocalEmbeddings()
            let vector = model.vector(for: text)
            #expect(vector.count == 384)
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }

        @Test("the same text always gives the same vector")
        func deterministic() {
            let text = "What does chapter 3 say about vector databases?"
            #expect(LocalEmbeddings().vector(for: text) == LocalEmbeddings().vector(for: text))
            #expect(LocalEmbeddings().embed([text, text]) == [LocalEmbeddings().vector(for: text), LocalEmbeddings().vector(for: text)])
        }

        @Test("case and punctuation do not matter")
        func normalisation() {
            let model = LocalEmbeddings()
            #expect(model.vector(for: "Vector DATABASES!") == model.vector(for: "vector databases"))
        }

        @Test("texts sharing words are nearer than unrelated texts")
        func similarity() {
            let model = LocalEmbeddings()
            let query = model.vector(for: "How do vector databases index embeddings?")
            let related = model.vector(for: "Vector databases build an index over embeddings for fast search.")
            let unrelated = model.vector(for: "The recipe needs two eggs, flour and a pinch of salt.")
            #expect(cosine(query, related) > cosine(query, unrelated) + 0.2)
            #expect(cosine(query, query) > 0.999)
        }

        @Test("the dimension is configurable")
        func dimension() {
            var configuration = LocalEmbeddings.Configuration()
            configuration.dimension = 64
            let model = LocalEmbeddings(configuration: configuration)
            #expect(model.dimension() == 64)
            #expect(model.vector(for: "abc").count == 64)
            #expect(model.modelName == "local-hash-v1-64")
        }
    }
}
