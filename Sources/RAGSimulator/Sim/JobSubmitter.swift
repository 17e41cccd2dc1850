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
    /// The API's client.
    let client: RAGQueueClient

    /// A submitter to the API at `baseURL`.
    init(baseURL: String, apiKey: String?, httpClient: CurlHTTPClient) {
        self.client = RAGQueueClient(baseURL: baseURL, apiKey: apiKey, httpClient: httpClient)
    }

    func submit(_ query: RAGQuery) async throws -> JobID {
        try await submit(query, idempotencyKey: nil)
    }

    /// Submits with an `Idempotency-Key`: sending the same key again returns the same job, so a
    /// client may retry after a lost answer without creating a second job.
    func submit(_ query: RAGQuery, idempotencyKey: String?, timeout: Duration = .seconds(10)) async throws(RAGQueueClient.Refusal) -> JobID {
        try await client.submit(query, idempotencyKey: idempotencyKey, timeout: timeout)
    }
}
