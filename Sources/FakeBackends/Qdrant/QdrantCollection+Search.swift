extension QdrantCollection {
    /// What a search asks for.
    struct Search {
        /// The query vector (already checked and, for Cosine, normalised); nil = no scoring.
        var vector: [Float]?
        /// The vector name searched.
        var using: String
        var filter: QdrantFilter?
        var limit: Int
        var offset: Int
        var scoreThreshold: Float?
        /// A point left out of the results (query by id).
        var excluding: PointID?
    }

    /// A scored hit.
    struct Hit {
        var point: Point
        var score: Float
    }

    /// Exact search: every point passing the filter is scored; best first, ties by id.
    func search(_ search: Search) -> [Hit] {
        let candidates = points.values.filter { point in
            point.id != search.excluding && (search.filter?.matches(point) ?? true)
        }
        guard let query = search.vector else {
            let ordered = candidates.sorted { $0.id < $1.id }
            return ordered.dropFirst(search.offset).prefix(search.limit).map { Hit(point: $0, score: 0) }
        }
        let distance = vectors[search.using]?.distance ?? .cosine
        var hits = [Hit]()
        hits.reserveCapacity(candidates.count)
        for point in candidates {
            guard let vector = point.vectors[search.using], vector.count == query.count else { continue }
            let score = Self.score(query, vector, distance)
            if let threshold = search.scoreThreshold {
                if distance.higherIsBetter ? score < threshold : score > threshold { continue }
            }
            hits.append(Hit(point: point, score: score))
        }
        let higher = distance.higherIsBetter
        hits.sort { lhs, rhs in
            if lhs.score != rhs.score { return higher ? lhs.score > rhs.score : lhs.score < rhs.score }
            return lhs.point.id < rhs.point.id
        }
        return Array(hits.dropFirst(search.offset).prefix(search.limit))
    }

    /// The score of `b` against query `a` under `distance`.
    static func score(_ a: [Float], _ b: [Float], _ distance: Distance) -> Float {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var total: Float = 0
                switch distance {
                case .cosine, .dot:
                    for index in 0..<x.count { total += x[index] * y[index] }
                    return total
                case .euclid:
                    for index in 0..<x.count {
                        let delta = x[index] - y[index]
                        total += delta * delta
                    }
                    return total.squareRoot()
                case .manhattan:
                    for index in 0..<x.count { total += abs(x[index] - y[index]) }
                    return total
                }
            }
        }
    }
}
