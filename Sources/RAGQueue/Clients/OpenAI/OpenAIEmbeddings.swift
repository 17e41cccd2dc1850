import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Embeddings from an OpenAI-compatible `POST /embeddings` endpoint.
///
/// Inputs go in batches (at most 2048 texts and `maxBatchBytes` per request), vectors come back
/// as base64 little-endian float32 by default (float arrays are accepted too), in input order.
public final class OpenAIEmbeddings: EmbeddingModel {
    /// How vectors travel on the wire.
    public enum EncodingFormat: String, Sendable, Hashable {
        /// Base64 of little-endian float32: about a quarter of the JSON size; the official clients' default.
        case base64
        /// JSON arrays of numbers.
        case float
    }

    /// Settings of the embeddings client.
    public struct Configuration: Sendable, Hashable {
        /// The model name; default `text-embedding-3-small` (1536-d).
        public var model: String
        /// Ask the model for shorter vectors (`dimensions`, text-embedding-3 only); default nil (native size).
        public var dimensions: Int?
        /// Most texts per request, 1...2048; default 2048 (the API's limit).
        public var batchSize: Int = 2048
        /// Most UTF-8 bytes of text per request; default 1,000,000 (about 250k tokens, under the API's 300k).
        public var maxBatchBytes: Int = 1_000_000
        /// The wire encoding of vectors; default `.base64`.
        public var encodingFormat: EncodingFormat = .base64
        /// Whole-call deadline per request; default nil (the HTTP client's default).
        public var timeout: Duration?

        /// Creates a configuration.
        public init(model: String = "text-embedding-3-small", dimensions: Int? = nil) {
            self.model = model
            self.dimensions = dimensions
        }
    }

    /// Native vector lengths of OpenAI's models, used when `dimensions` is not set.
    public static let knownDimensions: [String: Int] = [
        "text-embedding-3-small": 1536,
        "text-embedding-3-large": 3072,
        "text-embedding-ada-002": 1536,
    ]

    /// The configuration in use.
    public let configuration: Configuration
    private let connection: OpenAIConnection
    /// The dimension learned by embedding a probe text, for models not in `knownDimensions`.
    private let probedDimension = Mutex<Int?>(nil)

    /// Creates a client for the API at `endpoint` that sends its requests through `httpClient`;
    /// `observer` hears every response's rate-limit headers.
    public init(
        endpoint: OpenAIEndpoint, configuration: Configuration = .init(), httpClient: CurlHTTPClient,
        logger: Logger = Logger(label: "ragqueue.openai"), observer: OpenAIRateLimitObserver? = nil
    ) {
        self.configuration = configuration
        self.connection = OpenAIConnection(endpoint: endpoint, http: httpClient, logger: logger, observer: observer)
    }

    /// The configured model name.
    public var modelName: String { self.configuration.model }

    /// `dimensions` if set, else the model's known native size, else learned once by embedding `dummy_text`
    /// (as langchain does).
    public func dimension() async throws -> Int {
        if let dimension = self.configuration.dimensions ?? Self.knownDimensions[self.configuration.model] {
            return dimension
        }
        if let dimension = self.probedDimension.withLock({ $0 }) {
            return dimension
        }
        guard let dimension = try await self.embed(["dummy_text"]).first?.count else {
            throw BackendError(.invalidResponse, backend: OpenAIConnection.backend, message: "the probe embedding is missing")
        }
        self.probedDimension.withLock { $0 = dimension }
        return dimension
    }

    /// One vector per text, in order, and the tokens the API counted; sends as many requests as
    /// the batch limits need, one at a time.
    public func embeddings(for texts: [String]) async throws -> Embeddings {
        var result = Embeddings(vectors: [], tokens: 0)
        result.vectors.reserveCapacity(texts.count)
        for batch in Self.batches(of: texts, maxCount: self.configuration.batchSize, maxBytes: self.configuration.maxBatchBytes) {
            try Task.checkCancellation()
            let part = try await self.embedBatch(Array(texts[batch]))
            result.vectors += part.vectors
            result.tokens += part.tokens
        }
        return result
    }

    private func embedBatch(_ texts: [String]) async throws -> Embeddings {
        let body = Self.requestBody(texts: texts, configuration: self.configuration)
        let response = try await self.connection.post(path: "embeddings", body: consume body, timeout: self.configuration.timeout)
        let decoded = try OpenAIConnection.decode(EmbeddingsResponse.self, from: response.body, what: "embeddings")
        let vectors = try Self.vectors(from: decoded, expectedCount: texts.count, expectedDimension: self.configuration.dimensions)
        return Embeddings(vectors: vectors, tokens: decoded.promptTokens ?? 0)
    }

    // MARK: Wire format (internal for tests)

    struct EmbeddingsResponse: OpenAIResponseBody {
        struct Item {
            var index: Int?
            var embedding: Embedding
        }

        /// A vector as base64 text or as a number array.
        enum Embedding {
            case base64(String)
            case floats([Float])
        }

        var data: [Item]
        var model: String?
        /// `usage.prompt_tokens`.
        var promptTokens: Int?

        init?(json: JSONValue) {
            guard let items = json["data"]?.arrayValue else { return nil }
            var data: [Item] = []
            data.reserveCapacity(items.count)
            for item in items {
                switch item["embedding"] {
                case .string(let text): data.append(Item(index: item["index"]?.intValue, embedding: .base64(text)))
                case .array(let numbers):
                    var floats: [Float] = []
                    floats.reserveCapacity(numbers.count)
                    for number in numbers {
                        guard let value = number.doubleValue else { return nil }
                        floats.append(Float(value))
                    }
                    data.append(Item(index: item["index"]?.intValue, embedding: .floats(floats)))
                default: return nil
                }
            }
            self.data = data
            self.model = json["model"]?.stringValue
            self.promptTokens = json["usage"]?["prompt_tokens"]?.intValue
        }
    }

    /// The JSON body of one request, written straight to bytes.
    static func requestBody(texts: [String], configuration: Configuration) -> Data {
        var body: [String: JSONValue] = [
            "model": .string(configuration.model),
            "input": .array(texts.map(JSONValue.string)),
            "encoding_format": .string(configuration.encodingFormat.rawValue),
        ]
        if let dimensions = configuration.dimensions { body["dimensions"] = .integer(dimensions) }
        return Data(JSONValue.object(body).jsonBytes)
    }

    /// Index ranges of `texts` such that each holds at most `maxCount` texts (capped at 2048) and
    /// `maxBytes` UTF-8 bytes (a single larger text still gets a batch of its own).
    static func batches(of texts: [String], maxCount: Int, maxBytes: Int) -> [Range<Int>] {
        let maxCount = min(2048, max(1, maxCount))
        var batches: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, text) in texts.enumerated() {
            let size = text.utf8.count
            if index > start, index - start >= maxCount || bytes + size > maxBytes {
                batches.append(start..<index)
                start = index
                bytes = 0
            }
            bytes += size
        }
        if start < texts.count {
            batches.append(start..<texts.count)
        }
        return batches
    }

    /// The response's vectors in input order, checked for count, indices and dimension.
    static func vectors(from response: EmbeddingsResponse, expectedCount: Int, expectedDimension: Int?) throws -> [[Float]] {
        guard response.data.count == expectedCount else {
            throw BackendError(
                .invalidResponse,
                backend: OpenAIConnection.backend,
                message: "asked for \(expectedCount) embeddings, got \(response.data.count)"
            )
        }
        var vectors = [[Float]?](repeating: nil, count: expectedCount)
        for (position, item) in response.data.enumerated() {
            let index = item.index ?? position
            guard vectors.indices.contains(index), vectors[index] == nil else {
                throw BackendError(.invalidResponse, backend: OpenAIConnection.backend, message: "embedding index \(index) is out of range or repeated")
            }
            let vector: [Float]
            switch item.embedding {
            case .floats(let floats): vector = floats
            case .base64(let text): vector = try Self.decodeBase64Floats(text)
            }
            if let expectedDimension, vector.count != expectedDimension {
                throw BackendError(
                    .dimensionMismatch,
                    backend: OpenAIConnection.backend,
                    message: "asked for \(expectedDimension)-d embeddings, got \(vector.count)-d"
                )
            }
            vectors[index] = vector
        }
        return vectors.map { $0 ?? [] }
    }

    /// Decodes base64 of little-endian float32 values.
    static func decodeBase64Floats(_ text: String) throws -> [Float] {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else {
            throw BackendError(
                .invalidResponse,
                backend: OpenAIConnection.backend,
                message: "an embedding is not base64 of float32 values"
            )
        }
        return data.withUnsafeBytes { bytes in
            (0..<(bytes.count / 4)).map { index in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        }
    }
}
