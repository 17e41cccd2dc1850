import Foundation
import RAGQueue

/// How the simulator hands a question to the system: the one seam between "through the API" and
/// "straight onto the queue", so switching is one line in `SimulationStep`.
protocol JobSubmitter: Sendable {
    /// Submits `query` and returns the job's id; throws when the system refused it.
    func submit(_ query: RAGQuery) async throws -> JobID
}

/// Submits through the real HTTP API: `POST /v1/queries`, like any client.
struct APIJobSubmitter: JobSubmitter {
    /// The API's root, e.g. `http://127.0.0.1:8000`.
    let baseURL: String
    /// Sent as `Authorization: Bearer …` when set.
    let apiKey: String?
    /// The shared HTTP client.
    let httpClient: CurlHTTPClient

    private struct Accepted: Decodable {
        var id: String
    }

    func submit(_ query: RAGQuery) async throws -> JobID {
        try await submit(query, idempotencyKey: nil)
    }

    /// Submits with an `Idempotency-Key`: sending the same key again returns the same job, so a
    /// client may retry after a lost answer without creating a second job.
    func submit(_ query: RAGQuery, idempotencyKey: String?, timeout: Duration = .seconds(10)) async throws -> JobID {
        var headers = HTTPClientHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let request = HTTPClientRequest(
            url: baseURL + "/v1/queries", method: .post, headers: headers, body: try JSONEncoder().encode(query), timeout: timeout
        )
        let response = try await httpClient.execute(request)
        guard response.status == 202 || response.isSuccess else {
            throw SubmissionRefused(status: response.status, detail: String(decoding: response.body.prefix(200), as: UTF8.self))
        }
        guard let id = JobID(try JSONDecoder().decode(Accepted.self, from: response.body).id) else {
            throw SimulationError("POST /v1/queries answered an invalid job id")
        }
        return id
    }
}

/// Submits straight onto the queue with `ValkeyJobStore.enqueue`, bypassing the API.
struct QueueJobSubmitter: JobSubmitter {
    /// The step's store.
    let store: ValkeyJobStore

    func submit(_ query: RAGQuery) async throws -> JobID {
        try await store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: Array(JSONEncoder().encode(query)))).id
    }
}

/// `POST /v1/queries` answered something other than success.
struct SubmissionRefused: Error, CustomStringConvertible {
    /// The HTTP status.
    let status: Int
    /// The start of the body.
    let detail: String

    /// Whether a client should try again later: 429 and 5xx (the queue full, Valkey unreachable).
    var isTransient: Bool { status == 429 || status >= 500 }

    var description: String { "POST /v1/queries answered \(status): \(detail)" }
}
