/// Stores vectors with payloads and finds the nearest: the seam between the pipeline and a vector database.
///
/// Implementations: `QdrantVectorStore`. Failures are `BackendError`s; a missing collection is `.notFound`.
public protocol VectorStore: Sendable {
    /// Whether the named collection exists.
    func collectionExists(_ name: String) async throws -> Bool

    /// The collection's vector settings and size, or nil when it does not exist.
    func collectionInfo(_ name: String) async throws -> VectorCollectionInfo?

    /// Creates a collection of `dimension`-long vectors compared by `distance`; `.conflict` if it exists.
    func createCollection(_ name: String, dimension: Int, distance: VectorDistance) async throws

    /// Inserts or replaces points (vector and payload, whole) and returns once they are searchable.
    func upsert(_ points: [VectorPoint], into collection: String) async throws

    /// The points nearest to `query.vector`, best first.
    func query(_ query: VectorQuery, in collection: String) async throws -> [ScoredPoint]

    /// Deletes every point whose payload matches `filter`, and returns once the deletion is visible.
    func deletePoints(matching filter: PayloadFilter, in collection: String) async throws
}

extension VectorStore {
    /// Makes sure the collection exists with this dimension: creates it when missing (tolerating a
    /// concurrent creator), throws `.dimensionMismatch` when it exists with another dimension.
    public func ensureCollection(_ name: String, dimension: Int, distance: VectorDistance = .cosine) async throws {
        if let info = try await self.collectionInfo(name) {
            try info.check(dimension: dimension)
            return
        }
        do {
            try await self.createCollection(name, dimension: dimension, distance: distance)
        } catch let error as BackendError where error.code == .conflict {
            if let info = try await self.collectionInfo(name) {
                try info.check(dimension: dimension)
            }
        }
    }

    /// The `limit` points nearest to `vector`, best first.
    public func nearest(to vector: [Float], in collection: String, limit: Int = 4) async throws -> [ScoredPoint] {
        try await self.query(VectorQuery(vector: vector, limit: limit), in: collection)
    }
}

/// How vectors are compared. With `cosine` and `dot` higher scores are nearer; with `euclid`
/// and `manhattan` lower ones are.
public enum VectorDistance: String, Sendable, Hashable, Codable, CaseIterable {
    /// Cosine similarity (vectors are normalised); the seed's and langchain's choice.
    case cosine = "Cosine"
    /// Dot product.
    case dot = "Dot"
    /// Euclidean distance.
    case euclid = "Euclid"
    /// Manhattan (L1) distance.
    case manhattan = "Manhattan"
}

/// A collection's vector settings and size.
public struct VectorCollectionInfo: Sendable, Hashable {
    /// The collection's name.
    public var name: String
    /// The length of its (default) vectors, when it has exactly one kind.
    public var dimension: Int?
    /// How its (default) vectors are compared.
    public var distance: VectorDistance?
    /// How many points it holds, when reported.
    public var pointCount: Int?

    /// Creates an info record.
    public init(name: String, dimension: Int?, distance: VectorDistance?, pointCount: Int?) {
        self.name = name
        self.dimension = dimension
        self.distance = distance
        self.pointCount = pointCount
    }

    /// Throws `.dimensionMismatch` when the collection's dimension is known and differs.
    public func check(dimension expected: Int) throws {
        if let dimension = self.dimension, dimension != expected {
            throw BackendError(
                .dimensionMismatch,
                backend: "vector-store",
                message: "collection `\(self.name)` holds \(dimension)-d vectors but the embedding model makes "
                    + "\(expected)-d vectors; use another collection or re-index with this model"
            )
        }
    }
}

/// A point's identifier: an unsigned integer or a UUID (returned hyphenated, lowercase).
public enum PointID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An unsigned 64-bit integer id.
    case integer(UInt64)
    /// A UUID id as text.
    case uuid(String)

    /// Decodes a JSON integer or string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(UInt64.self) {
            self = .integer(value)
        } else {
            self = .uuid(try container.decode(String.self))
        }
    }

    /// Encodes as a JSON integer or string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let value): try container.encode(value)
        case .uuid(let value): try container.encode(value)
        }
    }

    /// The id as text.
    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .uuid(let value): value
        }
    }
}

/// A vector with its id and payload, as stored.
public struct VectorPoint: Sendable, Hashable {
    /// The point's id.
    public var id: PointID
    /// The vector; its length must match the collection's dimension.
    public var vector: [Float]
    /// Arbitrary JSON stored with the point.
    public var payload: [String: JSONValue]

    /// Creates a point.
    public init(id: PointID, vector: [Float], payload: [String: JSONValue] = [:]) {
        self.id = id
        self.vector = vector
        self.payload = payload
    }

    /// A point in langchain's layout: `{"page_content": text, "metadata": {...}}`, as the seed indexes.
    public static func document(
        id: PointID,
        vector: [Float],
        text: String,
        metadata: [String: JSONValue] = [:]
    ) -> VectorPoint {
        VectorPoint(id: id, vector: vector, payload: ["page_content": .string(text), "metadata": .object(metadata)])
    }
}

/// A nearest-neighbour query.
public struct VectorQuery: Sendable, Hashable {
    /// The query vector.
    public var vector: [Float]
    /// Most hits to return; default 4 (langchain's and the seed's `k`).
    public var limit: Int
    /// Only points whose payload matches; nil matches all.
    public var filter: PayloadFilter?
    /// Drop hits scoring worse than this (below for cosine/dot, above for distances); nil keeps all.
    public var scoreThreshold: Float?

    /// Creates a query.
    public init(vector: [Float], limit: Int = 4, filter: PayloadFilter? = nil, scoreThreshold: Float? = nil) {
        self.vector = vector
        self.limit = limit
        self.filter = filter
        self.scoreThreshold = scoreThreshold
    }
}

/// A point found by a query, with its score.
public struct ScoredPoint: Sendable, Hashable {
    /// The point's id.
    public var id: PointID
    /// The score under the collection's distance (cosine: 1 is identical).
    public var score: Float
    /// The stored payload ([:] when none).
    public var payload: [String: JSONValue]

    /// Creates a hit.
    public init(id: PointID, score: Float, payload: [String: JSONValue]) {
        self.id = id
        self.score = score
        self.payload = payload
    }

    /// The chunk text in langchain's layout (`page_content`), or a top-level `text` field.
    public var pageContent: String? {
        self.payload["page_content"]?.stringValue ?? self.payload["text"]?.stringValue
    }

    /// The `metadata` object in langchain's layout ([:] when absent).
    public var metadata: [String: JSONValue] {
        self.payload["metadata"]?.objectValue ?? [:]
    }

    /// `metadata.source`: the file the chunk came from.
    public var source: String? { self.metadata["source"]?.displayText }
    /// `metadata.page`: the 0-based page index PyPDFLoader records.
    public var page: Int? { self.metadata["page"]?.intValue }
    /// `metadata.page_label`: the printed page label, usually 1-based.
    public var pageLabel: String? { self.metadata["page_label"]?.displayText }
}

/// A condition on payload fields (dotted keys such as `metadata.source`).
public indirect enum PayloadFilter: Sendable, Hashable {
    /// The field equals the value (string, integer or Boolean).
    case match(key: String, value: JSONValue)
    /// The field equals one of the values.
    case matchAny(key: String, values: [JSONValue])
    /// The field is a number within the bounds (nil bounds are open).
    case range(key: String, greaterThanOrEqual: Double? = nil, lessThanOrEqual: Double? = nil)
    /// All of the conditions hold.
    case all([PayloadFilter])
    /// At least one of the conditions holds.
    case any([PayloadFilter])
    /// The condition does not hold.
    case not(PayloadFilter)
}
