import Hummingbird
import Logging
import RAGQueue

/// Turns every error a route throws into its JSON response, through `APIError.from(_:)`.
/// Unexpected errors are logged here (without request bodies or keys) and answered with 500;
/// an unreachable Valkey is logged as a warning; refusals the client caused are not logged.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "route": "\(context.endpointPath ?? "unmatched")"])
            } else if apiError.codeName == "backend_unavailable" {
                context.logger.warning("queue backend unavailable", metadata: ["route": "\(context.endpointPath ?? "unmatched")"])
            }
            return apiError.makeResponse()
        }
    }
}
