import FakeBackends
import Foundation
import Testing

/// Sends a Qdrant request and parses the envelope.
func qdrant(_ server: FakeQdrantServer, _ method: String, _ path: String, _ body: String? = nil, headers: [(String, String)] = [])
    async throws -> (status: Int, body: [String: Any], response: RawHTTP.Response)
{
    let response = try await RawHTTP.send(port: server.port, method, path, headers: headers, body: body)
    let parsed = (try? json(response)) ?? [:]
    return (response.status, parsed, response)
}

/// The `status.error` text of a Qdrant error envelope.
func qdrantError(_ body: [String: Any]) -> String {
    (body["status"] as? [String: Any])?["error"] as? String ?? ""
}

@Suite("Fakes: Qdrant collections over HTTP")
struct FakesQdrantCollectionTests {
    @Test("GET / reports the configured version outside the envelope; health endpoints answer text")
    func rootAndHealth() async throws {
        try await withQdrant(.init(version: "1.20.0")) { (server) async throws in
            let root = try await qdrant(server, "GET", "/")
            #expect(root.status == 200)
            #expect(root.body["version"] as? String == "1.20.0")
            #expect(root.body["title"] as? String == "qdrant - vector search engine")
            #expect((root.body["commit"] as? String)?.count == 64)
            for (path, text) in [("/healthz", "healthz check passed"), ("/livez", "livez check passed"), ("/readyz", "all shards are ready")] {
                let health = try await RawHTTP.send(port: server.port, "GET", path)
                #expect(health.status == 200)
                #expect(health.text == text)
                #expect(health.header("content-type")?.hasPrefix("text/plain") == true)
            }
        }
    }

    @Test("collections are created (409 on a duplicate), listed, checked, described and deleted")
    func lifecycle() async throws {
        try await withQdrant { (server) async throws in
            let create = try await qdrant(server, "PUT", "/collections/docs", #"{"vectors":{"size":4,"distance":"Cosine"},"hnsw_config":{"m":8}}"#)
            #expect(create.status == 200)
            #expect(create.body["result"] as? Bool == true)
            #expect(create.body["status"] as? String == "ok")

            let duplicate = try await qdrant(server, "PUT", "/collections/docs", #"{"vectors":{"size":4,"distance":"Cosine"}}"#)
            #expect(duplicate.status == 409)
            #expect(qdrantError(duplicate.body) == "Wrong input: Collection `docs` already exists!")

            let list = try await qdrant(server, "GET", "/collections")
            let names = ((list.body["result"] as? [String: Any])?["collections"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["docs"])

            let exists = try await qdrant(server, "GET", "/collections/docs/exists")
            #expect((exists.body["result"] as? [String: Any])?["exists"] as? Bool == true)
            let absent = try await qdrant(server, "GET", "/collections/other/exists")
            #expect((absent.body["result"] as? [String: Any])?["exists"] as? Bool == false)

            let info = try await qdrant(server, "GET", "/collections/docs")
            let result = try #require(info.body["result"] as? [String: Any])
            for key in ["status", "optimizer_status", "segments_count", "config", "payload_schema", "points_count"] {
                #expect(result[key] != nil, "CollectionInfo lacks \(key)")
            }
            let config = try #require(result["config"] as? [String: Any])
            let vectors = (config["params"] as? [String: Any])?["vectors"] as? [String: Any]
            #expect(vectors?["size"] as? Int == 4 && vectors?["distance"] as? String == "Cosine")
            #expect((config["hnsw_config"] as? [String: Any])?["ef_construct"] != nil)
            #expect((config["optimizer_config"] as? [String: Any])?["deleted_threshold"] != nil)

            let deleted = try await qdrant(server, "DELETE", "/collections/docs")
            #expect(deleted.body["result"] as? Bool == true)
            let again = try await qdrant(server, "DELETE", "/collections/docs")
            #expect(again.status == 200)
            #expect(again.body["result"] as? Bool == false)
            let missing = try await qdrant(server, "GET", "/collections/docs")
            #expect(missing.status == 404)
            #expect(qdrantError(missing.body) == "Not found: Collection `docs` doesn't exist!")
        }
    }

    @Test("langchain's empty vector name is echoed and usable")
    func emptyVectorName() async throws {
        try await withQdrant { (server) async throws in
            let create = try await qdrant(server, "PUT", "/collections/lc", #"{"vectors":{"":{"size":2,"distance":"Cosine"}},"sparse_vectors":{}}"#)
            #expect(create.status == 200)
            let info = try await qdrant(server, "GET", "/collections/lc")
            let params = ((info.body["result"] as? [String: Any])?["config"] as? [String: Any])?["params"] as? [String: Any]
            #expect(((params?["vectors"] as? [String: Any])?[""] as? [String: Any])?["size"] as? Int == 2)
        }
    }

    @Test(
        "bad collection requests get Qdrant's status and message",
        arguments: [
            (#"{"vectors":{"size":4,"distance":"Cosinus"}}"#, 400, "unknown variant `Cosinus`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`"),
            (#"{"vectors":{"size":0,"distance":"Dot"}}"#, 422, "Validation error in JSON body"),
            (#"{"vectors":{"distance":"Dot"}}"#, 400, "missing field `size`"),
            (#"{"vectors": "#, 400, "Format error in JSON body: EOF while parsing a value at line 1 column "),
        ])
    func badCreate(body: String, status: Int, message: String) async throws {
        try await withQdrant { (server) async throws in
            let response = try await qdrant(server, "PUT", "/collections/bad", body)
            #expect(response.status == status)
            #expect(qdrantError(response.body).contains(message), "\(response.response.text)")
            #expect(response.body["time"] != nil)
        }
    }

    @Test("a configured API key is required (api-key or Bearer), except on / and health")
    func apiKey() async throws {
        try await withQdrant(.init(apiKey: "secret")) { (server) async throws in
            #expect(try await qdrant(server, "GET", "/collections").status == 401)
            #expect(try await qdrant(server, "GET", "/collections", headers: [("api-key", "wrong")]).status == 401)
            #expect(try await qdrant(server, "GET", "/collections", headers: [("api-key", "secret")]).status == 200)
            #expect(try await qdrant(server, "GET", "/collections", headers: [("Authorization", "Bearer secret")]).status == 200)
            #expect(try await qdrant(server, "GET", "/").status == 200)
            #expect(try await RawHTTP.send(port: server.port, "GET", "/readyz").status == 200)
        }
    }

    @Test("an unknown route is a 404 in Qdrant's envelope")
    func unknownRoute() async throws {
        try await withQdrant { (server) async throws in
            let response = try await qdrant(server, "POST", "/collections/x/points/explode", "{}")
            #expect(response.status == 404)
            #expect(!qdrantError(response.body).isEmpty)
        }
    }
}
