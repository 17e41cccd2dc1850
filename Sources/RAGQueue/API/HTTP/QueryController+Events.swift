import Foundation
import HTTPTypes
import Hummingbird
import RAGQueue

extension QueryController {
    /// `GET /v1/queries/{id}/events`: Server-Sent Events until the job ends (see `QueryEventStream`).
    func events(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let record = try await dependencies.query(context.parameters.get("id"), context: context)
        let query = try? JSONDecoder().decode(RAGQuery.self, from: Data(record.payload))
        let stream = QueryEventStream(dependencies: dependencies, id: record.id, streamTokens: query?.stream ?? false)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: ResponseBody { writer in try await stream.run(writer: &writer) }
        )
    }
}
