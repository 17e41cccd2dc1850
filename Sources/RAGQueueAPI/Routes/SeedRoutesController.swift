import Foundation
import Hummingbird
import RAGQueue

/// The routes of the Python service RAGQueue replaces (the seed's FastAPI app: `/`, `/chat`,
/// `/job-status/{job_id}`, `/result/{job_id}`), with the same paths and body shapes
/// (`{"detail": ...}` errors), so its clients keep working. An unknown id is 404 here, where the
/// seed said 500.
struct SeedRoutesController: Sendable {
    let dependencies: APIDependencies

    func register(on router: Router<APIRequestContext>) {
        router.get("/") { _, _ in
            Response.json(.object(["status": .string("Server is up and running"), "service": .string("RAG Query API")]))
        }
        router.post("/chat") { request, context in try await seedStyle { try await chat(request, context) } }
        router.get("/job-status/{job_id}") { _, context in
            try await seedStyle {
                let record = try await dependencies.query(context.parameters.get("job_id"), context: context)
                return Response.json(QueryView.seedStatus(record))
            }
        }
        router.get("/result/{job_id}") { _, context in
            try await seedStyle {
                let record = try await dependencies.query(context.parameters.get("job_id"), context: context)
                return Response.json(QueryView.seedResult(record))
            }
        }
    }

    /// `POST /chat?query=...`: the question travels in the query string, as in the seed.
    private func chat(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let text = request.uri.queryParameters.get("query") else {
            throw APIError.fastAPIMissingQueryParameter("query")
        }
        guard !text.trimmingWhitespace.isEmpty else {
            throw APIError.badRequest("Query cannot be empty")
        }
        let query = try RAGQuery(query: text).validated(by: dependencies.rules)
        let result = try await QueryController.enqueue(query, idempotencyKey: nil, context: context, dependencies: dependencies)
        return Response.json(.object([
            "status": .string("queued"),
            "job_id": .string(result.id.rawValue),
            "message": .string("Your query has been queued for processing"),
        ]))
    }

    /// Runs `body`, giving any error FastAPI's `{"detail": ...}` shape.
    private func seedStyle(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch {
            let mapped = APIError.from(error)
            if mapped.status == .notFound { throw APIError.notFound("Job not found").inSeedStyle }
            throw mapped.inSeedStyle
        }
    }
}
