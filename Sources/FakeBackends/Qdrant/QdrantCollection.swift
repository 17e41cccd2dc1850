/// One collection of the fake Qdrant: its vector config, its points and its payload indexes.
///
/// A value type: the store hands out copies (copy-on-write, so free) and searches run on them
/// outside the store's lock.
struct QdrantCollection: Sendable {
    /// How vectors are compared.
    enum Distance: String, Sendable {
        case cosine = "Cosine", dot = "Dot", euclid = "Euclid", manhattan = "Manhattan"

        /// Whether a higher score is a better match.
        var higherIsBetter: Bool { self == .cosine || self == .dot }
    }

    /// The size and distance of one vector.
    struct VectorParams: Sendable {
        var size: Int
        var distance: Distance
    }

    /// A stored point.
    struct Point: Sendable {
        var id: PointID
        /// Vectors by name; `""` is the default (unnamed) vector.
        var vectors: [String: [Float]]
        /// Always an object (null payloads are stored as `{}`).
        var payload: JSONValue
        /// The operation that last wrote the point.
        var version: UInt64
    }

    let name: String
    /// Vector params by name; a collection created with a single unnamed vector has only `""`.
    let vectors: [String: VectorParams]
    /// Whether the collection was created with the single unnamed form (affects how vectors are written back).
    let isSingleUnnamed: Bool
    /// The `vectors` config as created, echoed in CollectionInfo.
    let vectorsConfigJSON: JSONValue
    /// The `sparse_vectors` config as created, echoed when not empty.
    let sparseVectorsJSON: JSONValue?
    private(set) var points: [PointID: Point] = [:]
    /// Payload indexes: field name and schema type, in creation order.
    private(set) var payloadIndexes: [(field: String, type: String)] = []
    private(set) var lastOperation: UInt64 = 0

    /// Builds a collection from a create request's body; throws Qdrant's 400/422.
    init(name: String, body: JSONValue) throws(QdrantError) {
        self.name = name
        guard body.objectValue != nil else { throw .format("invalid type: \(body.kindName), expected struct CreateCollection at line 1 column 1") }
        guard let config = body["vectors"], !config.isNull else {
            // Qdrant allows sparse-only collections; the fake has no dense vectors then.
            vectors = [:]
            isSingleUnnamed = false
            vectorsConfigJSON = .obj([])
            sparseVectorsJSON = body["sparse_vectors"]
            return
        }
        guard config.objectValue != nil else { throw .format("invalid type: \(config.kindName), expected a map at line 1 column 1") }
        if config.has("size") || config.has("distance") {
            vectors = ["": try Self.params(config)]
            isSingleUnnamed = true
            vectorsConfigJSON = Self.echo(vectors[""])
        } else {
            var named = [String: VectorParams]()
            var echoed = [JSONMember]()
            for member in config.objectValue ?? [] {
                let params = try Self.params(member.value)
                named[member.key] = params
                echoed.append(JSONMember(member.key, Self.echo(params)))
            }
            vectors = named
            isSingleUnnamed = false
            vectorsConfigJSON = .object(echoed)
        }
        if let sparse = body["sparse_vectors"], let members = sparse.objectValue, !members.isEmpty {
            sparseVectorsJSON = sparse
        } else {
            sparseVectorsJSON = nil
        }
    }

    private static func params(_ json: JSONValue) throws(QdrantError) -> VectorParams {
        guard json.objectValue != nil else { throw .format("invalid type: \(json.kindName), expected struct VectorParams at line 1 column 1") }
        guard let sizeValue = json["size"] else { throw .format("missing field `size` at line 1 column 1") }
        guard let size = sizeValue.intValue else { throw .format("invalid type: \(sizeValue.kindName), expected u64 at line 1 column 1") }
        guard let distanceValue = json["distance"] else { throw .format("missing field `distance` at line 1 column 1") }
        guard let text = distanceValue.stringValue, let distance = Distance(rawValue: text) else {
            let shown = distanceValue.stringValue ?? distanceValue.kindName
            throw .format("unknown variant `\(shown)`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan` at line 1 column 1")
        }
        guard (1...65536).contains(size) else { throw .validation("vectors.size: value \(size) invalid, must be from 1 to 65536") }
        return VectorParams(size: Int(size), distance: distance)
    }

    private static func echo(_ params: VectorParams?) -> JSONValue {
        guard let params else { return .obj([]) }
        return .obj([("size", .int(Int64(params.size))), ("distance", .string(params.distance.rawValue))])
    }

    /// The vector name `using` refers to: nil and `""` mean the default vector.
    func vectorName(_ using: String?) throws(QdrantError) -> String {
        let name = using ?? ""
        guard vectors[name] != nil else { throw .wrongInput("Not existing vector name error: \(name)") }
        return name
    }

    /// Checks a vector's size for `name`, normalising it when the distance is Cosine.
    func prepared(_ vector: [Float], for name: String) throws(QdrantError) -> [Float] {
        guard let params = vectors[name] else { throw .wrongInput("Not existing vector name error: \(name)") }
        guard vector.count == params.size else {
            throw .wrongInput("Vector dimension error: expected dim: \(params.size), got \(vector.count)")
        }
        guard params.distance == .cosine else { return vector }
        var sum: Float = 0
        for value in vector { sum += value * value }
        let length = sum.squareRoot()
        guard length > 0, abs(length - 1) > 1e-6 else { return vector }
        return vector.map { $0 / length }
    }

    /// Replaces the given points wholesale (vectors and payload) and returns the operation id.
    mutating func upsert(_ newPoints: [Point]) -> UInt64 {
        lastOperation += 1
        for var point in newPoints {
            point.version = lastOperation
            points[point.id] = point
        }
        return lastOperation
    }

    /// Deletes the points with these ids and returns the operation id.
    mutating func delete(_ ids: [PointID]) -> UInt64 {
        lastOperation += 1
        for id in ids { points[id] = nil }
        return lastOperation
    }

    /// Records a payload index and returns the operation id.
    mutating func createIndex(field: String, type: String) -> UInt64 {
        lastOperation += 1
        payloadIndexes.removeAll { $0.field == field }
        payloadIndexes.append((field, type))
        return lastOperation
    }

    /// Forgets a payload index and returns the operation id.
    mutating func deleteIndex(field: String) -> UInt64 {
        lastOperation += 1
        payloadIndexes.removeAll { $0.field == field }
        return lastOperation
    }

    /// All points ordered by id.
    var sortedPoints: [Point] {
        points.values.sorted { $0.id < $1.id }
    }
}
