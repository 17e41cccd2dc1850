extension QdrantCollection {
    /// The full CollectionInfo; qdrant-client validates it strictly, so every required field is here.
    var info: JSONValue {
        var params: [(String, JSONValue)] = [("vectors", vectorsConfigJSON)]
        if let sparseVectorsJSON { params.append(("sparse_vectors", sparseVectorsJSON)) }
        params += [("shard_number", 1), ("replication_factor", 1), ("write_consistency_factor", 1), ("on_disk_payload", true)]
        let config: JSONValue = .obj([
            ("params", .obj(params)),
            (
                "hnsw_config",
                .obj([
                    ("m", 16), ("ef_construct", 100), ("full_scan_threshold", 10000), ("max_indexing_threads", 0), ("on_disk", false),
                ])
            ),
            (
                "optimizer_config",
                .obj([
                    ("deleted_threshold", 0.2), ("vacuum_min_vector_number", 1000), ("default_segment_number", 0),
                    ("max_segment_size", nil), ("memmap_threshold", nil), ("indexing_threshold", 10000), ("flush_interval_sec", 5),
                    ("max_optimization_threads", nil),
                ])
            ),
            ("wal_config", .obj([("wal_capacity_mb", 32), ("wal_segments_ahead", 0)])),
            ("quantization_config", nil),
            ("strict_mode_config", .obj([("enabled", false)])),
        ])
        return .obj([
            ("status", "green"), ("optimizer_status", "ok"), ("indexed_vectors_count", 0),
            ("points_count", .int(Int64(points.count))), ("segments_count", 1), ("config", config),
            ("payload_schema", payloadSchema),
        ])
    }

    /// `{field: {"data_type": type, "points": n}}` for each payload index.
    private var payloadSchema: JSONValue {
        .object(
            payloadIndexes.map { index in
                let path = QdrantFilter.path(index.field)
                let count = points.values.filter { point in
                    QdrantFilter.values(at: path, in: point.payload).contains { !$0.isNull }
                }.count
                return JSONMember(index.field, .obj([("data_type", .string(index.type)), ("points", .int(Int64(count)))]))
            })
    }
}
