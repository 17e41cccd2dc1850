import Foundation

/// A client of RAGQueue's own HTTP API (`POST /v1/queries`, `GET /v1/queries/{id}`), for the CLI,
/// the simulator and any Swift program that asks questions.
public struct RAGQueueClient: Sendable {
    /// What the API answered when it did not accept a request.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The HTTP status, or nil when no answer came (the transport failed).
        public var status: Int?
        /// The API's error message, or what went wrong on the way.
        public var message: String

        /// Whether trying again later may succeed: no answer, 429, or 5xx.
        public var isTransient: Bool { status.map { $0 == 429 || $0 >= 500 } ?? true }

        public var description: String {
            status.map { "the API answered \($0): \(message)" } ?? "the API could not be reached: \(message)"
        }
    }

    /// The API's root, e.g. `http://127.0.0.1:8000`.
    public var baseURL: String
    /// Sent as `Authorization: Bearer <key>` when set.
    public var apiKey: String?
    /// The HTTP client requests go through.
    public let httpClient: CurlHTTPClient

    /// A client of the API at `baseURL` (a trailing `/` is dropped).
    public init(baseURL: String, apiKey: String? = nil, httpClient: CurlHTTPClient) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.httpClient = httpClient
    }

    /// Submits `query` in its wire shape and returns the job's id. With an `idempotencyKey`,
    /// sending the same key again returns the same job, so a lost answer may be retried safely.
    public func submit(_ query: RAGQuery, idempotencyKey: String? = nil, timeout: Duration = .seconds(10)) async throws(Refusal) -> JobID {
        try await accept(query, idempotencyKey: idempotencyKey, timeout: timeout).id
    }

    /// Submits `query`: the job's id and what the API answered (for a query the answer cache
    /// answered at once, `status` `finished` and the `result`).
    public func accept(
        _ query: RAGQuery, idempotencyKey: String? = nil, timeout: Duration = .seconds(10)
    ) async throws(Refusal) -> (id: JobID, view: JSONValue) {
        var headers = headers()
        headers.add(name: "Content-Type", value: "application/json")
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let body = try await send(HTTPClientRequest(
            url: baseURL + "/v1/queries", method: .post, headers: headers, body: Data(query.json), timeout: timeout
        ))
        guard let text = body["id"]?.stringValue, let id = JobID(text) else {
            throw Refusal(status: 202, message: "the answer carries no valid job id")
        }
        return (id, body)
    }

    /// The query's v1 view (status, result with its sources, error); with `wait`, held by the API
    /// until the job ends or the wait passes (long poll).
    public func query(_ id: JobID, wait: Duration? = nil) async throws(Refusal) -> JSONValue {
        let suffix = wait.map { "?wait=\(Int($0.seconds.rounded(.up)))" } ?? ""
        let timeout = (wait ?? .zero) + .seconds(10)
        return try await send(HTTPClientRequest(url: baseURL + "/v1/queries/\(id)" + suffix, headers: headers(), timeout: timeout))
    }

    /// Long-polls until the query ends or `timeout` passes; returns its last view.
    public func waitForEnd(of id: JobID, timeout: Duration) async throws(Refusal) -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        var view = try await query(id)
        while !Self.hasEnded(view) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            view = try await query(id, wait: min(remaining, .seconds(30)))
        }
        return view
    }

    /// Whether a v1 view's status is `finished`, `failed` or `canceled`.
    public static func hasEnded(_ view: JSONValue) -> Bool {
        ["finished", "failed", "canceled"].contains(view["status"]?.stringValue ?? "")
    }

    private func headers() -> HTTPClientHeaders {
        var headers = HTTPClientHeaders()
        if let apiKey { headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        return headers
    }

    private func send(_ request: HTTPClientRequest) async throws(Refusal) -> JSONValue {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request)
        } catch {
            throw Refusal(status: nil, message: "\(request.url): \(error)")
        }
        let body = (try? JSONValue(parsing: response.body)) ?? .null
        guard response.isSuccess else {
            let message = body["error"]?["message"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            throw Refusal(status: response.status, message: message)
        }
        return body
    }
}
