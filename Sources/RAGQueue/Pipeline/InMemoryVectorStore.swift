import Synchronization

/// A `VectorStore` in memory: exact search, payload filters, deletion by filter. For tests of the
/// pipeline and the ingester without a server, and for small programs; nothing is persisted.
public final class InMemoryVectorStore: VectorStore {
    private struct Collection: Sendable {
        var dimension: Int
        var distance: VectorDistance
        var points: [PointID: VectorPoint] = [:]
    }

    private let collections = Mutex<[String: Collection]>([:])

    /// An empty store.
    public init() {}

    public func collectionExists(_ name: String) async throws -> Bool {
        collections.withLock { $0[name] != nil }
    }

    public func collectionInfo(_ name: String) async throws -> VectorCollectionInfo? {
        collections.withLock { collections in
            collections[name].map {
                VectorCollectionInfo(name: name, dimension: $0.dimension, distance: $0.distance, pointCount: $0.points.count)
            }
        }
    }

    public func createCollection(_ name: String, dimension: Int, distance: VectorDistance) async throws {
        try collections.withLock { collections in
            guard collections[name] == nil else {
                throw BackendError(.conflict, backend: "memory", status: 409, message: "collection `\(name)` already exists")
            }
            collections[name] = Collection(dimension: dimension, distance: distance)
        }
    }

    public func upsert(_ points: [VectorPoint], into collection: String) async throws {
        try collections.withLock { collections in
            guard var stored = collections[collection] else { throw Self.missing(collection) }
            for point in points {
                guard point.vector.count == stored.dimension else {
                    throw BackendError(
                        .dimensionMismatch, backend: "memory", status: 400,
                        message: "expected dim: \(stored.dimension), got \(point.vector.count)"
                    )
                }
                stored.points[point.id] = point
            }
            collections[collection] = stored
        }
    }

    public func query(_ query: VectorQuery, in collection: String) async throws -> [ScoredPoint] {
        try collections.withLock { collections in
            guard let stored = collections[collection] else { throw Self.missing(collection) }
            guard query.vector.count == stored.dimension else {
                throw BackendError(
                    .dimensionMismatch, backend: "memory", status: 400, message: "expected dim: \(stored.dimension), got \(query.vector.count)"
                )
            }
            let higherIsNearer = stored.distance == .cosine || stored.distance == .dot
            let scored = stored.points.values
                .filter { point in query.filter.map { Self.matches($0, payload: .object(point.payload)) } ?? true }
                .map { ScoredPoint(id: $0.id, score: Self.score(query.vector, $0.vector, stored.distance), payload: $0.payload) }
                .filter { hit in
                    guard let threshold = query.scoreThreshold else { return true }
                    return higherIsNearer ? hit.score >= threshold : hit.score <= threshold
                }
                .sorted { lhs, rhs in
                    // Nearest first; equal scores in id order, so results are repeatable.
                    guard lhs.score != rhs.score else { return lhs.id.description < rhs.id.description }
                    return higherIsNearer ? lhs.score > rhs.score : lhs.score < rhs.score
                }
            return Array(scored.prefix(max(0, query.limit)))
        }
    }

    public func deletePoints(matching filter: PayloadFilter, in collection: String) async throws {
        try collections.withLock { collections in
            guard var stored = collections[collection] else { throw Self.missing(collection) }
            stored.points = stored.points.filter { !Self.matches(filter, payload: .object($0.value.payload)) }
            collections[collection] = stored
        }
    }

    private static func missing(_ name: String) -> BackendError {
        BackendError(.notFound, backend: "memory", status: 404, message: "Collection `\(name)` doesn't exist!")
    }

    /// Whether the payload satisfies `filter` (dotted keys; a list field matches when any element does).
    static func matches(_ filter: PayloadFilter, payload: JSONValue) -> Bool {
        func values(_ key: String) -> [JSONValue] {
            switch payload.value(atPath: key) {
            case .array(let elements)?: elements
            case let value?: [value]
            case nil: []
            }
        }
        switch filter {
        case .match(let key, let value):
            return values(key).contains(value)
        case .matchAny(let key, let accepted):
            return values(key).contains { accepted.contains($0) }
        case .range(let key, let low, let high):
            return values(key).contains { value in
                guard let number = value.doubleValue else { return false }
                return number >= (low ?? -.infinity) && number <= (high ?? .infinity)
            }
        case .all(let filters):
            return filters.allSatisfy { matches($0, payload: payload) }
        case .any(let filters):
            return filters.contains { matches($0, payload: payload) }
        case .not(let inner):
            return !matches(inner, payload: payload)
        }
    }

    private static func score(_ a: [Float], _ b: [Float], _ distance: VectorDistance) -> Float {
        switch distance {
        case .dot:
            return zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        case .cosine:
            let dot = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let norms = (a.reduce(Float(0)) { $0 + $1 * $1 } * b.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
            return norms > 0 ? dot / norms : 0
        case .euclid:
            return zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        case .manhattan:
            return zip(a, b).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
        }
    }
}
