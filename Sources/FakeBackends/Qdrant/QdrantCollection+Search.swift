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
    ///
    /// Only the best `offset + limit` hits are kept while scanning (a bounded insertion), so a
    /// top-4 query over 10,000 points sorts four hits, not ten thousand.
    func search(_ search: Search) -> [Hit] {
        guard let query = search.vector else {
            let ordered = points.values.filter { accepts($0, search) }.sorted { $0.id < $1.id }
            return ordered.dropFirst(search.offset).prefix(search.limit).map { Hit(point: $0, score: 0) }
        }
        let distance = vectors[search.using]?.distance ?? .cosine
        let higher = distance.higherIsBetter
        let wanted = search.offset + search.limit
        func better(_ score: Float, _ id: PointID, than hit: Hit) -> Bool {
            if score != hit.score { return higher ? score > hit.score : score < hit.score }
            return id < hit.point.id
        }
        var best = [Hit]()
        best.reserveCapacity(min(wanted, points.count) + 1)
        for point in points.values {
            guard let vector = point.vectors[search.using], vector.count == query.count else { continue }
            let score = Self.score(query, vector, distance)
            if let threshold = search.scoreThreshold, higher ? score < threshold : score > threshold { continue }
            if best.count == wanted, let worst = best.last, !better(score, point.id, than: worst) { continue }
            guard accepts(point, search) else { continue }
            var position = best.count
            while position > 0, better(score, point.id, than: best[position - 1]) { position -= 1 }
            best.insert(Hit(point: point, score: score), at: position)
            if best.count > wanted { best.removeLast() }
        }
        return Array(best.dropFirst(search.offset))
    }

    private func accepts(_ point: Point, _ search: Search) -> Bool {
        point.id != search.excluding && (search.filter?.matches(point) ?? true)
    }

    /// The score of `b` against query `a` under `distance`.
    ///
    /// Sums run in eight-lane SIMD with two accumulators: a scalar loop is bound by the latency
    /// of its one running sum, several times slower on 1,536-dimension vectors.
    static func score(_ a: [Float], _ b: [Float], _ distance: Distance) -> Float {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                guard let xs = x.baseAddress, let ys = y.baseAddress else { return 0 }
                let count = min(x.count, y.count)
                let wide = count / 16 * 16
                var first = SIMD8<Float>()
                var second = SIMD8<Float>()
                var index = 0
                let rawX = UnsafeRawPointer(xs)
                let rawY = UnsafeRawPointer(ys)
                let stride = MemoryLayout<Float>.stride
                while index < wide {
                    let x0 = rawX.loadUnaligned(fromByteOffset: index * stride, as: SIMD8<Float>.self)
                    let y0 = rawY.loadUnaligned(fromByteOffset: index * stride, as: SIMD8<Float>.self)
                    let x1 = rawX.loadUnaligned(fromByteOffset: (index + 8) * stride, as: SIMD8<Float>.self)
                    let y1 = rawY.loadUnaligned(fromByteOffset: (index + 8) * stride, as: SIMD8<Float>.self)
                    switch distance {
                    case .cosine, .dot:
                        first += x0 * y0
                        second += x1 * y1
                    case .euclid:
                        let d0 = x0 - y0
                        let d1 = x1 - y1
                        first += d0 * d0
                        second += d1 * d1
                    case .manhattan:
                        let d0 = x0 - y0
                        let d1 = x1 - y1
                        first += d0.replacing(with: -d0, where: d0 .< 0)
                        second += d1.replacing(with: -d1, where: d1 .< 0)
                    }
                    index += 16
                }
                var total = (first + second).sum()
                while index < count {
                    let delta = xs[index] - ys[index]
                    switch distance {
                    case .cosine, .dot: total += xs[index] * ys[index]
                    case .euclid: total += delta * delta
                    case .manhattan: total += abs(delta)
                    }
                    index += 1
                }
                return distance == .euclid ? total.squareRoot() : total
            }
        }
    }
}
