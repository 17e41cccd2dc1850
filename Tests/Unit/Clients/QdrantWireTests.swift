import Foundation
import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("Qdrant wire format")
    struct QdrantWireTests {
        private func json(_ body: Data) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: body)
        }

        @Test("create collection sends size and capitalised distance")
        func create() throws {
            #expect(
                try self.json(Data(QdrantVectorStore.createCollectionBody(dimension: 384, distance: .cosine, vectorName: nil).description.utf8))
                    == ["vectors": ["size": 384, "distance": "Cosine"]]
            )
            #expect(
                try self.json(Data(QdrantVectorStore.createCollectionBody(dimension: 4, distance: .dot, vectorName: "text").description.utf8))
                    == ["vectors": ["text": ["size": 4, "distance": "Dot"]]]
            )
        }

        @Test("upsert sends ids, vectors and payloads in langchain's layout")
        func upsert() throws {
            let points = [
                VectorPoint.document(
                    id: .uuid("0b8e3b7c-53a4-4c8e-9d9b-1f0c2f1a2b3c"),
                    vector: [0.5, -0.25],
                    text: "chunk text",
                    metadata: ["source": "book.pdf", "page": 2, "page_label": "3"]
                ),
                VectorPoint(id: .integer(7), vector: [1, 0], payload: [:]),
            ]
            let body = try self.json(QdrantVectorStore.upsertBody(points, vectorName: nil))
            #expect(
                body == [
                    "points": [
                        [
                            "id": "0b8e3b7c-53a4-4c8e-9d9b-1f0c2f1a2b3c",
                            "vector": [0.5, -0.25],
                            "payload": ["page_content": "chunk text", "metadata": ["source": "book.pdf", "page": 2, "page_label": "3"]],
                        ],
                        ["id": 7, "vector": [1, 0], "payload": [:]],
                    ]
                ]
            )
            let named = try self.json(QdrantVectorStore.upsertBody([points[1]], vectorName: ""))
            #expect(named["points"]?.arrayValue?.first?["vector"] == ["": [1, 0]])
        }

        @Test("query sends the vector, limit, with_payload, filter and threshold")
        func query() throws {
            let query = VectorQuery(
                vector: [0.5, 0.25],
                limit: 4,
                filter: .all([.match(key: "metadata.source", value: "book.pdf"), .range(key: "metadata.page", greaterThanOrEqual: 1, lessThanOrEqual: 9)]),
                scoreThreshold: 0.5
            )
            let body = try self.json(QdrantVectorStore.queryBody(query, vectorName: nil))
            #expect(
                body == [
                    "query": [0.5, 0.25],
                    "limit": 4,
                    "with_payload": true,
                    "score_threshold": 0.5,
                    "filter": [
                        "must": [
                            ["key": "metadata.source", "match": ["value": "book.pdf"]],
                            ["key": "metadata.page", "range": ["gte": 1, "lte": 9]],
                        ]
                    ],
                ]
            )
            let plain = try self.json(QdrantVectorStore.queryBody(VectorQuery(vector: [1], limit: 2), vectorName: nil))
            #expect(plain == ["query": [1], "limit": 2, "with_payload": true])
            let named = try self.json(QdrantVectorStore.queryBody(VectorQuery(vector: [1], limit: 2), vectorName: "text"))
            #expect(named["using"] == "text")
        }

        @Test("every float of a vector reads back as the same float")
        func vectorsRoundTrip() throws {
            var random = SystemRandomNumberGenerator()
            let edges: [Float] = [0, -0.0, 1, -1, 1e-8, -3.4e38, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1, 1 / 3]
            let vector = edges + (0..<1536).map { _ in Float.random(in: -1...1, using: &random) }
            struct Body: Decodable { var query: [Float] }
            let body = try JSONDecoder().decode(Body.self, from: QdrantVectorStore.queryBody(VectorQuery(vector: vector, limit: 4), vectorName: nil))
            #expect(body.query == vector)
            struct Points: Decodable { struct Point: Decodable { var vector: [Float] }; var points: [Point] }
            let points = try JSONDecoder().decode(
                Points.self, from: QdrantVectorStore.upsertBody([VectorPoint(id: .integer(UInt64.max), vector: vector, payload: [:])], vectorName: nil)
            )
            #expect(points.points.first?.vector == vector)
        }

        @Test("a NaN or infinite number is refused before anything is sent")
        func nonFinite() {
            for value in [Float.nan, .infinity, -.infinity] {
                #expect(throws: BackendError.self) { try QdrantVectorStore.queryBody(VectorQuery(vector: [0.5, value], limit: 4), vectorName: nil) }
                #expect(throws: BackendError.self) {
                    try QdrantVectorStore.upsertBody([VectorPoint(id: .integer(1), vector: [value], payload: [:])], vectorName: nil)
                }
            }
            #expect(throws: BackendError.self) {
                try QdrantVectorStore.queryBody(VectorQuery(vector: [1], limit: 4, scoreThreshold: .nan), vectorName: nil)
            }
        }

        @Test("a bare condition becomes a must filter; any and not nest")
        func filters() {
            #expect(QdrantVectorStore.filterValue(.match(key: "k", value: 1)) == ["must": [["key": "k", "match": ["value": 1]]]])
            #expect(
                QdrantVectorStore.filterValue(.any([.matchAny(key: "k", values: ["a", "b"]), .not(.match(key: "x", value: true))]))
                    == ["should": [["key": "k", "match": ["any": ["a", "b"]]], ["must_not": [["key": "x", "match": ["value": true]]]]]]
            )
        }

        @Test("collection info reads single, langchain's empty-named and named vector configs")
        func collectionInfo() {
            let single: JSONValue = ["points_count": 3, "config": ["params": ["vectors": ["size": 3072, "distance": "Cosine"]]]]
            #expect(
                QdrantVectorStore.collectionInfo(name: "c", result: single, vectorName: nil)
                    == VectorCollectionInfo(name: "c", dimension: 3072, distance: .cosine, pointCount: 3)
            )
            let langchain: JSONValue = ["config": ["params": ["vectors": ["": ["size": 1536, "distance": "Cosine"]]]]]
            #expect(QdrantVectorStore.collectionInfo(name: "c", result: langchain, vectorName: nil).dimension == 1536)
            let named: JSONValue = ["config": ["params": ["vectors": ["text": ["size": 8, "distance": "Dot"], "image": ["size": 4, "distance": "Euclid"]]]]]
            #expect(QdrantVectorStore.collectionInfo(name: "c", result: named, vectorName: "image").distance == .euclid)
            #expect(QdrantVectorStore.collectionInfo(name: "c", result: named, vectorName: nil).dimension == nil)
        }

        @Test("Qdrant errors map to codes with actionable messages")
        func errors() {
            let missing = QdrantVectorStore.error(
                status: 404,
                headers: [:],
                body: Data(#"{"status":{"error":"Not found: Collection `learning_vectors` doesn't exist!"},"time":0.0001}"#.utf8),
                what: "POST /collections/learning_vectors/points/query"
            )
            #expect(missing.code == .notFound)
            #expect(!missing.isTransient)
            #expect(missing.message.contains("learning_vectors"))
            let dimension = QdrantVectorStore.error(
                status: 400,
                headers: [:],
                body: Data(#"{"status":{"error":"Wrong input: Vector dimension error: expected dim: 3072, got 1536"},"time":0.0}"#.utf8),
                what: "query"
            )
            #expect(dimension.code == .dimensionMismatch)
            let limited = QdrantVectorStore.error(status: 429, headers: ["Retry-After": "3"], body: Data(), what: "query")
            #expect(limited.code == .rateLimited)
            #expect(limited.retryAfter == .seconds(3))
        }

        @Test("collection names are percent-encoded in paths")
        func paths() {
            #expect(QdrantVectorStore.collectionPath("learning_vectors") == "/collections/learning_vectors")
            #expect(QdrantVectorStore.collectionPath("a b/c") == "/collections/a%20b%2Fc")
        }

        @Test("hits read langchain's payload layout")
        func hitLayout() {
            let hit = ScoredPoint(
                id: .integer(1),
                score: 0.9,
                payload: ["page_content": "text", "metadata": ["source": "book.pdf", "page": 4, "page_label": "5"]]
            )
            #expect(hit.pageContent == "text")
            #expect(hit.source == "book.pdf")
            #expect(hit.page == 4)
            #expect(hit.pageLabel == "5")
        }
    }
}
