import Foundation
import HTTPTypes
import Hummingbird
import RAGQueue

extension QueryController {
    private static let lastEventIDHeader = HTTPField.Name("Last-Event-ID")!

    /// `GET /v1/queries/{id}/events`: Server-Sent Events until the job ends (see `QueryEventStream`).
    /// A reconnecting client's `Last-Event-ID` resumes the tokens after the one it names.
    func events(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let record = try await dependencies.query(context.parameters.get("id"), context: context)
        var resumeAfter: String?
        // An empty value is what a client with no id yet may send: the same as none.
        if let lastEventID = request.headers[Self.lastEventIDHeader], !lastEventID.isEmpty {
            guard let entryID = TokenEntry.cursor(lastEventID) else {
                throw APIError.validation("Last-Event-ID must be the id of an event this stream sent (<milliseconds>-<sequence>)")
            }
            resumeAfter = entryID
        }
        let query = try? RAGQuery(json: record.payload)
        let stream = QueryEventStream(dependencies: dependencies, id: record.id, streamTokens: query?.stream ?? false, resumeAfter: resumeAfter)
        let slot = try dependencies.openWait(context)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: ResponseBody { writer in
                defer { slot.release() }
                try await stream.run(request: request, writer: &writer)
            }
        )
    }
}
