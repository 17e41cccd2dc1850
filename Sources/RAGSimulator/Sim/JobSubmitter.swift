import Foundation
import RAGQueue

/// Submits the simulator's queries through the real HTTP API (`POST /v1/queries`), like any
/// client, each with its tenant's key when the run has tenants.
struct APIJobSubmitter: Sendable {
    /// The client for queries without a tenant.
    let anonymous: RAGQueueClient
    /// The client of each tenant, by name.
    let clients: [String: RAGQueueClient]

    /// A submitter to the API at `baseURL`: with `apiKey` for queries without a tenant, and each
    /// of `tenants` with its own key.
    init(baseURL: String, apiKey: String?, tenants: [TenantSpec] = [], httpClient: CurlHTTPClient) {
        anonymous = RAGQueueClient(baseURL: baseURL, apiKey: apiKey, httpClient: httpClient)
        var clients: [String: RAGQueueClient] = [:]
        for tenant in tenants {
            clients[tenant.name] = RAGQueueClient(baseURL: baseURL, apiKey: tenant.apiKey, httpClient: httpClient)
        }
        self.clients = clients
    }

    /// Submits `query` for `tenant`; with an `Idempotency-Key`, sending the same key again returns
    /// the same job, so a client may retry after a lost answer without creating a second job.
    func submit(
        _ query: RAGQuery, tenant: String? = nil, idempotencyKey: String? = nil, timeout: Duration = .seconds(10)
    ) async throws(RAGQueueClient.Refusal) -> JobID {
        let client = tenant.flatMap { clients[$0] } ?? anonymous
        return try await client.submit(query, idempotencyKey: idempotencyKey, timeout: timeout)
    }

    /// Submits `query` for `tenant`: the id, when the 202 came, and when the answer was in hand
    /// if the answer cache answered it at once (nil: the job runs). The 202 of a cached answer
    /// carries it; were it ever without, the answer is read as a client would.
    func submitReadingCached(_ query: RAGQuery, tenant: String? = nil) async throws(RAGQueueClient.Refusal) -> (JobID, Date, Date?) {
        let client = tenant.flatMap { clients[$0] } ?? anonymous
        let (id, view) = try await client.accept(query)
        let accepted = Date()
        guard view["status"]?.stringValue == JobStatus.finished.rawValue else { return (id, accepted, nil) }
        if view["result"] == nil { _ = try await client.query(id) }
        return (id, accepted, Date())
    }
}
