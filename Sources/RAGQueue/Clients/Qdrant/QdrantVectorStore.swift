import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A `VectorStore` on Qdrant's REST API.
///
/// Payloads are generic JSON, so collections indexed by langchain (`page_content`, `metadata`)
/// read back as they were written; `ScoredPoint.pageContent` and friends read that layout.
public final class QdrantVectorStore: VectorStore {
    /// Settings of the Qdrant client.
    public struct Configuration: Sendable, Hashable {
        /// The server's URL, e.g. `http://localhost:6333` (the default); a path becomes a prefix.
        public var baseURL: String = "http://localhost:6333"
        /// Sent as the `api-key` header when set; default nil. Never logged or put in errors.
        public var apiKey: String?
        /// The vector name in named-vector collections; nil (default) uses the unnamed/default vector.
        public var vectorName: String?
        /// Most points per upsert request; default 256.
        public var upsertBatchSize: Int = 256
        /// Whole-call deadline per request; default 30 s (nil: the HTTP client's default).
        public var timeout: Duration? = .seconds(30)

        /// Creates a configuration.
        public init(baseURL: String = "http://localhost:6333", apiKey: String? = nil) {
            self.baseURL = baseURL
            self.apiKey = apiKey
        }
    }

    static let backend = "qdrant"

    /// The configuration in use.
    public let configuration: Configuration
    private let http: CurlHTTPClient
    private let logger: Logger

    /// Creates a client that sends its requests through `httpClient`.
    public init(configuration: Configuration = .init(), httpClient: CurlHTTPClient, logger: Logger = Logger(label: "ragqueue.qdrant")) {
        self.configuration = configuration
        self.http = httpClient
        self.logger = logger
    }

    /// `GET /collections/{name}/exists`; falls back to `GET /collections/{name}` on servers before 1.8.
    public func collectionExists(_ name: String) async throws -> Bool {
        do {
            let result = try await self.call(.get, Self.collectionPath(name) + "/exists", body: nil)
            guard let exists = result["exists"]?.boolValue else {
                throw BackendError(.invalidResponse, backend: Self.backend, message: "Qdrant's answer to exists has no exists")
            }
            return exists
        } catch let error as BackendError where error.code == .notFound {
            return try await self.collectionInfo(name) != nil
        }
    }

    /// `GET /collections/{name}`: the default vector's size and distance, and the point count; nil if missing.
    public func collectionInfo(_ name: String) async throws -> VectorCollectionInfo? {
        let result: JSONValue
        do {
            result = try await self.call(.get, Self.collectionPath(name), body: nil)
        } catch let error as BackendError where error.code == .notFound {
            return nil
        }
        return Self.collectionInfo(name: name, result: result, vectorName: self.configuration.vectorName)
    }

    /// `PUT /collections/{name}` with `{"vectors":{"size":N,"distance":"Cosine"}}`.
    public func createCollection(_ name: String, dimension: Int, distance: VectorDistance) async throws {
        let body = Self.createCollectionBody(dimension: dimension, distance: distance, vectorName: self.configuration.vectorName)
        _ = try await self.call(.put, Self.collectionPath(name), body: Data(body.jsonBytes))
    }

    /// `PUT /collections/{name}/points?wait=true`, in batches of `upsertBatchSize`.
    public func upsert(_ points: [VectorPoint], into collection: String) async throws {
        let size = max(1, self.configuration.upsertBatchSize)
        for start in stride(from: 0, to: points.count, by: size) {
            try Task.checkCancellation()
            let batch = Array(points[start..<min(start + size, points.count)])
            let body = try Self.upsertBody(batch, vectorName: self.configuration.vectorName)
            _ = try await self.call(.put, Self.collectionPath(collection) + "/points?wait=true", body: body)
        }
    }

    /// `POST /collections/{name}/points/query` with the vector, limit, payload, filter and threshold.
    public func query(_ query: VectorQuery, in collection: String) async throws -> [ScoredPoint] {
        let body = try Self.queryBody(query, vectorName: self.configuration.vectorName)
        return try Self.scoredPoints(try await self.call(.post, Self.collectionPath(collection) + "/points/query", body: consume body))
    }

    /// `POST /collections/{name}/points/delete?wait=true` with `{"filter":…}`: deletes every point
    /// whose payload matches (re-ingesting a file removes its old chunks this way).
    public func deletePoints(matching filter: PayloadFilter, in collection: String) async throws {
        let body: JSONValue = ["filter": Self.filterValue(filter)]
        _ = try await self.call(.post, Self.collectionPath(collection) + "/points/delete?wait=true", body: Data(body.jsonBytes))
    }

    // MARK: Transport

    /// Sends one request; returns the `result` of Qdrant's answer.
    private func call(_ method: HTTPClientRequest.Method, _ path: String, body: consuming Data?) async throws -> JSONValue {
        var headers: HTTPClientHeaders = ["Accept": "application/json"]
        if let apiKey = self.configuration.apiKey {
            headers.add(name: "api-key", value: apiKey)
        }
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        var base = self.configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        let request = HTTPClientRequest(url: base + path, method: method, headers: headers, body: body, timeout: self.configuration.timeout)
        let secrets = self.configuration.apiKey.map { [$0] } ?? []
        let response: HTTPClientResponse
        do {
            response = try await self.http.execute(consume request)
        } catch {
            let mapped = BackendError.transport(error, backend: Self.backend).redacting(secrets)
            self.logger.debug("Qdrant call failed", metadata: ["qdrant.method": "\(method)", "error.code": "\(mapped.code)"])
            throw mapped
        }
        guard response.isSuccess else {
            let error = Self.error(status: response.status, headers: response.headers, body: response.body, what: "\(method) \(path)")
                .redacting(secrets)
            self.logger.debug(
                "Qdrant call failed",
                metadata: ["qdrant.method": "\(method)", "http.status": "\(response.status)", "error.code": "\(error.code)"]
            )
            throw error
        }
        return try Self.result(from: response.body)
    }
}
