import FakeBackends
import Foundation
import Testing

@Suite("Fakes: Qdrant points over HTTP")
struct FakesQdrantPointsTests {
    /// A collection `c` of 2-d vectors with integer and UUID ids and seed-like payloads.
    static func seeded(_ server: FakeQdrantServer, distance: String = "Cosine") async throws {
        _ = try await qdrant(server, "PUT", "/collections/c", #"{"vectors":{"size":2,"distance":"\#(distance)"}}"#)
        let upsert = try await qdrant(
            server, "PUT", "/collections/c/points?wait=true",
            #"""
            {"points":[
              {"id":1,"vector":[1,0],"payload":{"page_content":"alpha","metadata":{"page":1,"source":"a.pdf","tags":["x","y"]}}},
              {"id":2,"vector":[0,1],"payload":{"page_content":"beta","metadata":{"page":2,"source":"a.pdf","tags":[]}}},
              {"id":"0123456789abcdef0123456789abcdef","vector":[3,4],"payload":{"page_content":"gamma","metadata":{"page":3,"source":"b.pdf","note":null}}},
              {"id":7,"vector":[-1,0],"payload":null}
            ]}
            """#)
        #expect(upsert.status == 200, "\(upsert.response.text)")
        #expect((upsert.body["result"] as? [String: Any])?["status"] as? String == "completed")
    }

    static func ids(_ result: Any?) -> [String] {
        let points = (result as? [String: Any])?["points"] as? [[String: Any]] ?? result as? [[String: Any]] ?? []
        return points.map { "\($0["id"] ?? "nil")" }
    }

    static let uuid = "01234567-89ab-cdef-0123-456789abcdef"

    @Test("query: nearest or bare vector, hyphenated UUIDs, Cosine scores of normalised vectors")
    func query() async throws {
        try await withQdrant { (server) async throws in
            try await Self.seeded(server)
            let wrapped = try await qdrant(
                server, "POST", "/collections/c/points/query",
                #"{"query":{"nearest":[0.6,0.8]},"limit":2,"with_payload":true,"with_vector":true}"#)
            #expect(wrapped.status == 200)
            let points = try #require((wrapped.body["result"] as? [String: Any])?["points"] as? [[String: Any]])
            #expect(points.map { "\($0["id"]!)" } == [Self.uuid, "2"])
            #expect(abs(((points[0]["score"] as? NSNumber)?.floatValue ?? 0) - 1) < 1e-6)
            #expect(floats(points[0]["vector"]) == [0.6, 0.8])
            #expect(points[0]["version"] as? Int != nil)
            #expect(((points[0]["payload"] as? [String: Any])?["page_content"] as? String) == "gamma")

            let bare = try await qdrant(server, "POST", "/collections/c/points/query", #"{"query":[0.6,0.8],"limit":2}"#)
            let barePoints = (bare.body["result"] as? [String: Any])?["points"] as? [[String: Any]] ?? []
            #expect(Self.ids(bare.body["result"]) == [Self.uuid, "2"])
            #expect(barePoints.allSatisfy { $0["payload"] == nil && $0["vector"] == nil })

            let langchain = try await qdrant(
                server, "POST", "/collections/c/points/query",
                #"{"query":{"nearest":[1,0]},"using":"","limit":4,"offset":0,"with_vector":false,"with_payload":true}"#)
            #expect(Self.ids(langchain.body["result"]) == ["1", Self.uuid, "2", "7"])

            let page = try await qdrant(server, "POST", "/collections/c/points/query", #"{"query":[1,0],"limit":2,"offset":1}"#)
            #expect(Self.ids(page.body["result"]) == [Self.uuid, "2"])

            let threshold = try await qdrant(server, "POST", "/collections/c/points/query", #"{"query":[1,0],"score_threshold":0.5}"#)
            #expect(Self.ids(threshold.body["result"]) == ["1", Self.uuid])

            let byID = try await qdrant(server, "POST", "/collections/c/points/query", #"{"query":1,"limit":1}"#)
            #expect(Self.ids(byID.body["result"]) == [Self.uuid])

            let noQuery = try await qdrant(server, "POST", "/collections/c/points/query", #"{"limit":2}"#)
            #expect(Self.ids(noQuery.body["result"]) == ["1", "2"])
        }
    }

    @Test(
        "filters: match value/any/except/text, range, has_id, is_empty, is_null, nested, should and must_not",
        arguments: [
            (#"{"must":[{"key":"metadata.page","match":{"value":2}}]}"#, ["2"]),
            (#"{"must":{"key":"metadata.source","match":{"value":"b.pdf"}}}"#, [uuid]),
            (#"{"must":[{"key":"metadata.page","match":{"any":[1,3]}}]}"#, ["1", uuid]),
            (#"{"must":[{"key":"metadata.source","match":{"except":["a.pdf"]}}]}"#, [uuid, "7"]),
            (#"{"must":[{"key":"page_content","match":{"text":"amm"}}]}"#, [uuid]),
            (#"{"must":[{"key":"metadata.page","range":{"gt":1,"lte":3}}]}"#, ["2", uuid]),
            (#"{"must":[{"has_id":[2,"\#(uuid)"]}]}"#, ["2", uuid]),
            (#"{"must":[{"is_empty":{"key":"metadata.tags"}}]}"#, ["2", uuid, "7"]),
            (#"{"must":[{"is_null":{"key":"metadata.note"}}]}"#, [uuid]),
            (#"{"must":[{"key":"metadata.tags","match":{"value":"y"}}]}"#, ["1"]),
            (#"{"should":[{"key":"metadata.page","match":{"value":1}},{"key":"metadata.page","match":{"value":2}}]}"#, ["1", "2"]),
            (#"{"must_not":[{"key":"metadata.source","match":{"value":"a.pdf"}}]}"#, [uuid, "7"]),
            (#"{"must":[{"must_not":[{"has_id":[1]}]},{"key":"metadata.source","match":{"value":"a.pdf"}}]}"#, ["2"]),
            (#"{"must":[{"nested":{"key":"metadata","filter":{"must":[{"key":"page","match":{"value":3}}]}}}]}"#, [uuid]),
            (#"{"must":[{"key":"metadata.page","match":{"value":"2"}}]}"#, [String]()),
        ])
    func filters(filter: String, expected: [String]) async throws {
        try await withQdrant { (server) async throws in
            try await Self.seeded(server)
            let scroll = try await qdrant(server, "POST", "/collections/c/points/scroll", #"{"filter":\#(filter),"limit":10}"#)
            #expect(scroll.status == 200, "\(scroll.response.text)")
            #expect(Self.ids(scroll.body["result"]).sorted() == expected.sorted())
            let count = try await qdrant(server, "POST", "/collections/c/points/count", #"{"filter":\#(filter),"exact":true}"#)
            #expect((count.body["result"] as? [String: Any])?["count"] as? Int == expected.count)
        }
    }

    @Test("distances: Dot is raw, Euclid and Manhattan rank ascending", arguments: ["Dot", "Euclid", "Manhattan"])
    func distances(distance: String) async throws {
        try await withQdrant { (server) async throws in
            try await Self.seeded(server, distance: distance)
            let response = try await qdrant(server, "POST", "/collections/c/points/query", #"{"query":[1,0],"limit":4}"#)
            let points = (response.body["result"] as? [String: Any])?["points"] as? [[String: Any]] ?? []
            let scores = points.compactMap { ($0["score"] as? NSNumber)?.floatValue }
            switch distance {
            case "Dot":
                #expect(Self.ids(response.body["result"]) == [Self.uuid, "1", "2", "7"])
                #expect(scores == [3, 1, 0, -1])
            case "Euclid":
                #expect(Self.ids(response.body["result"]) == ["1", "2", "7", Self.uuid])
                #expect(abs(scores[1] - 2.0.squareRoot().floatValue) < 1e-6)
                #expect(scores[3] == Float(20).squareRoot())
            default:
                #expect(Self.ids(response.body["result"]) == ["1", "2", "7", Self.uuid])
                #expect(scores == [0, 2, 2, 6])
            }
        }
    }

    @Test("legacy search returns a bare list; retrieve, GET by id, scroll pages and deletes work")
    func otherPointEndpoints() async throws {
        try await withQdrant { (server) async throws in
            try await Self.seeded(server)
            let search = try await qdrant(server, "POST", "/collections/c/points/search", #"{"vector":[0,1],"limit":1,"with_payload":["page_content"]}"#)
            let hits = try #require(search.body["result"] as? [[String: Any]])
            #expect(hits.count == 1 && "\(hits[0]["id"]!)" == "2")
            #expect((hits[0]["payload"] as? [String: Any])?.keys.sorted() == ["page_content"])
            let noLimit = try await qdrant(server, "POST", "/collections/c/points/search", #"{"vector":[0,1]}"#)
            #expect(noLimit.status == 400)

            let retrieve = try await qdrant(
                server, "POST", "/collections/c/points", #"{"ids":[7,"\#(Self.uuid)",99],"with_payload":{"exclude":["metadata"]},"with_vector":true}"#)
            let records = try #require(retrieve.body["result"] as? [[String: Any]])
            #expect(records.map { "\($0["id"]!)" } == ["7", Self.uuid])
            #expect((records[1]["payload"] as? [String: Any])?.keys.sorted() == ["page_content"])
            #expect(records[0]["score"] == nil)

            let one = try await qdrant(server, "GET", "/collections/c/points/\(Self.uuid)")
            #expect(((one.body["result"] as? [String: Any])?["payload"] as? [String: Any])?["page_content"] as? String == "gamma")
            let missing = try await qdrant(server, "GET", "/collections/c/points/42")
            #expect(missing.status == 404)
            #expect(qdrantError(missing.body) == "Not found: No point with id 42 found")

            let first = try await qdrant(server, "POST", "/collections/c/points/scroll", #"{"limit":2}"#)
            #expect(Self.ids(first.body["result"]) == ["1", "2"])
            let next = (first.body["result"] as? [String: Any])?["next_page_offset"] as? Int
            #expect(next == 7)
            let second = try await qdrant(server, "POST", "/collections/c/points/scroll", #"{"limit":2,"offset":7}"#)
            #expect(Self.ids(second.body["result"]) == ["7", Self.uuid])
            #expect((second.body["result"] as? [String: Any])?["next_page_offset"] is NSNull)

            let byIDs = try await qdrant(server, "POST", "/collections/c/points/delete?wait=true", #"{"points":[1,2]}"#)
            #expect((byIDs.body["result"] as? [String: Any])?["status"] as? String == "completed")
            let byFilter = try await qdrant(
                server, "POST", "/collections/c/points/delete", #"{"filter":{"must":[{"key":"metadata.source","match":{"value":"b.pdf"}}]}}"#)
            #expect((byFilter.body["result"] as? [String: Any])?["status"] as? String == "acknowledged")
            let count = try await qdrant(server, "POST", "/collections/c/points/count", #"{"exact":true}"#)
            #expect((count.body["result"] as? [String: Any])?["count"] as? Int == 1)
        }
    }

    @Test("named vectors, the columnar batch form, upsert replacing wholesale, and payload indexes")
    func namedBatchAndIndex() async throws {
        try await withQdrant { (server) async throws in
            _ = try await qdrant(server, "PUT", "/collections/n", #"{"vectors":{"text":{"size":2,"distance":"Dot"},"image":{"size":3,"distance":"Euclid"}}}"#)
            let batch = try await qdrant(
                server, "PUT", "/collections/n/points",
                #"{"batch":{"ids":[1,2],"vectors":{"text":[[1,0],[0,1]],"image":[[0,0,0],[1,1,1]]},"payloads":[{"k":"a"},{"k":"b"}]}}"#)
            #expect(batch.status == 200, "\(batch.response.text)")
            let text = try await qdrant(server, "POST", "/collections/n/points/query", #"{"query":[0,1],"using":"text","limit":1}"#)
            #expect(Self.ids(text.body["result"]) == ["2"])
            let image = try await qdrant(server, "POST", "/collections/n/points/query", #"{"query":[0,0,0],"using":"image","limit":1,"with_vector":["image"]}"#)
            let hit = ((image.body["result"] as? [String: Any])?["points"] as? [[String: Any]])?.first
            #expect((hit?["vector"] as? [String: Any])?.keys.sorted() == ["image"])
            let unnamed = try await qdrant(server, "POST", "/collections/n/points/query", #"{"query":[0,1]}"#)
            #expect(unnamed.status == 400)
            #expect(qdrantError(unnamed.body) == "Wrong input: Not existing vector name error: ")

            _ = try await qdrant(server, "PUT", "/collections/n/points", #"{"points":[{"id":1,"vector":{"text":[1,1],"image":[2,2,2]},"payload":{"z":1}}]}"#)
            let replaced = try await qdrant(server, "POST", "/collections/n/points", #"{"ids":[1]}"#)
            let payload = ((replaced.body["result"] as? [[String: Any]])?.first?["payload"] as? [String: Any]) ?? [:]
            #expect(payload.keys.sorted() == ["z"])

            let index = try await qdrant(server, "PUT", "/collections/n/index", #"{"field_name":"k","field_schema":"keyword"}"#)
            #expect(index.status == 200)
            let info = try await qdrant(server, "GET", "/collections/n")
            let schema = (info.body["result"] as? [String: Any])?["payload_schema"] as? [String: Any]
            #expect((schema?["k"] as? [String: Any])?["data_type"] as? String == "keyword")
            #expect((schema?["k"] as? [String: Any])?["points"] as? Int == 1)
        }
    }

    @Test(
        "bad point requests get Qdrant's status and message",
        arguments: [
            ("PUT", "/collections/c/points", #"{"points":[{"id":"1","vector":[1,0]}]}"#, 400, "value \"1\" is not a valid point ID"),
            ("PUT", "/collections/c/points", #"{"points":[{"id":-3,"vector":[1,0]}]}"#, 400, "is not a valid point ID"),
            ("PUT", "/collections/c/points", #"{"points":[{"id":5,"vector":[1,0,0]}]}"#, 400, "Wrong input: Vector dimension error: expected dim: 2, got 3"),
            ("PUT", "/collections/c/points", #"{"points":[{"id":5,"vector":{"img":[1,0]}}]}"#, 400, "Wrong input: Not existing vector name error: img"),
            ("POST", "/collections/c/points/query", #"{"query":[1,0],"limit":0}"#, 422, "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]"),
            ("POST", "/collections/c/points/query", #"{"query":{"fusion":"rrf"}}"#, 400, "Wrong input"),
            ("POST", "/collections/c/points/query", #"{"query":[1,0],"filter":{"must":[{"nope":1}]}}"#, 400, "Format error in JSON body"),
            ("POST", "/collections/zz/points/query", #"{"query":[1,0]}"#, 404, "Not found: Collection `zz` doesn't exist!"),
            ("POST", "/collections/c/points/scroll", "{bad", 400, "Format error in JSON body: key must be a string at line 1 column 2"),
        ])
    func badPoints(method: String, path: String, body: String, status: Int, message: String) async throws {
        try await withQdrant { (server) async throws in
            try await Self.seeded(server)
            let response = try await qdrant(server, method, path, body)
            #expect(response.status == status, "\(response.response.text)")
            #expect(qdrantError(response.body).contains(message), "\(response.response.text)")
        }
    }
}

extension Double {
    fileprivate var floatValue: Float { Float(self) }
}
