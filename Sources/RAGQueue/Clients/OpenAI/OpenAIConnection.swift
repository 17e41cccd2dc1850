import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `OpenAIEmbeddings` and `OpenAIChatModel` share: URLs, headers, JSON and error mapping.
struct OpenAIConnection: Sendable {
    static let backend = "openai"
    /// Largest error body read from a failed streaming call, in bytes.
    static let maxErrorBody = 1 << 20

    let endpoint: OpenAIEndpoint
    let http: CurlHTTPClient
    let logger: Logger
    /// Told of every response's rate-limit headers.
    var observer: OpenAIRateLimitObserver?

    /// The URL of `path` (e.g. `embeddings`) under the base URL.
    func url(_ path: String) -> String {
        var base = self.endpoint.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + path
    }

    func request(path: String, body: consuming Data, timeout: Duration?, streaming: Bool) -> HTTPClientRequest {
        var headers: HTTPClientHeaders = [
            "Authorization": "Bearer \(self.endpoint.apiKey)",
            "Content-Type": "application/json",
            "Accept": streaming ? "text/event-stream" : "application/json",
        ]
        if let organization = self.endpoint.organization {
            headers.add(name: "OpenAI-Organization", value: organization)
        }
        if let project = self.endpoint.project {
            headers.add(name: "OpenAI-Project", value: project)
        }
        return HTTPClientRequest(url: self.url(path), method: .post, headers: headers, body: body, timeout: timeout)
    }

    /// POSTs JSON and returns the 2xx response; anything else becomes a `BackendError`.
    func post(path: String, body: consuming Data, timeout: Duration?) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await self.http.execute(self.request(path: path, body: body, timeout: timeout, streaming: false))
        } catch {
            throw self.transportError(error, path: path)
        }
        if let observer, let limits = OpenAIRateLimitHeaders(response.headers) { await observer(limits) }
        guard response.isSuccess else {
            throw self.error(status: response.status, headers: response.headers, body: response.body, path: path)
        }
        return response
    }

    /// POSTs JSON and returns the 2xx response head with its body still streaming.
    func stream(path: String, body: consuming Data, timeout: Duration?) async throws -> HTTPClientStreamingResponse {
        let response: HTTPClientStreamingResponse
        let errorBody: Data
        do {
            response = try await self.http.stream(self.request(path: path, body: body, timeout: timeout, streaming: true))
            if let observer, let limits = OpenAIRateLimitHeaders(response.headers) { await observer(limits) }
            if response.isSuccess {
                return response
            }
            errorBody = try await response.collect(upTo: Self.maxErrorBody)
        } catch {
            throw self.transportError(error, path: path)
        }
        throw self.error(status: response.status, headers: response.headers, body: errorBody, path: path)
    }

    func transportError(_ error: any Error, path: String) -> BackendError {
        let mapped = BackendError.transport(error, backend: Self.backend).redacting([self.endpoint.apiKey])
        self.logger.debug(
            "OpenAI call failed",
            metadata: ["openai.path": "\(path)", "error.code": "\(mapped.code)"]
        )
        return mapped
    }

    /// Maps an error response (OpenAI's `{"error":{message,type,param,code}}` envelope or anything else).
    func error(status: Int, headers: HTTPClientHeaders, body: Data, path: String) -> BackendError {
        let envelope = OpenAIErrorEnvelope.parse(body)
        let error = BackendError.classify(
            status: status,
            backend: Self.backend,
            providerCode: envelope?.providerCode,
            message: envelope?.message ?? Self.summary(of: body),
            headers: headers
        ).redacting([self.endpoint.apiKey])
        self.logger.debug(
            "OpenAI call failed",
            metadata: ["openai.path": "\(path)", "http.status": "\(status)", "error.code": "\(error.code)"]
        )
        return error
    }

    /// The start of a non-JSON body, for messages.
    static func summary(of body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "" : "unexpected body: \(text)"
    }

    /// Reads a 2xx body or throws `.invalidResponse`: parsed once into a `JSONValue`, then read
    /// field by field (no `Codable`, whose per-key boxing and snake-case conversion were a tenth
    /// of a worker's CPU).
    static func decode<T: OpenAIResponseBody>(_ type: T.Type, from body: some Collection<UInt8>, what: String) throws(BackendError) -> T {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw BackendError(.invalidResponse, backend: Self.backend, message: "could not read the \(what) response: \(error)")
        }
        guard let body = T(json: value) else {
            throw BackendError(.invalidResponse, backend: Self.backend, message: "the \(what) response is not in the expected shape")
        }
        return body
    }
}

/// OpenAI's error body: `{"error":{"message":…,"type":…,"param":…,"code":…}}`.
struct OpenAIErrorEnvelope: Sendable, Hashable {
    var message: String?
    var type: String?
    var code: String?

    /// `insufficient_quota` when either field says so, else the code, else the type.
    var providerCode: String? {
        if self.type == "insufficient_quota" || self.code == "insufficient_quota" { return "insufficient_quota" }
        return self.code ?? self.type
    }

    /// The envelope in `body`, or nil when the body is not one (or not JSON).
    static func parse(_ body: Data) -> OpenAIErrorEnvelope? {
        guard let value = try? JSONValue(parsing: body) else { return nil }
        return Self.parse(value)
    }

    /// The envelope in an already decoded value (also used for errors inside a stream).
    static func parse(_ value: JSONValue) -> OpenAIErrorEnvelope? {
        guard let error = value["error"], error.objectValue != nil else { return nil }
        // `code` is usually a string or null, but some compatible servers send a number.
        let code = error["code"].flatMap { $0.isNull ? nil : $0.displayText }
        return OpenAIErrorEnvelope(message: error["message"]?.stringValue, type: error["type"]?.stringValue, code: code)
    }
}

/// A response body read from parsed JSON; nil when a required member is missing or of another type.
protocol OpenAIResponseBody {
    init?(json: JSONValue)
}
