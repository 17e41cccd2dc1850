import Hummingbird
import RAGQueue

/// Counts every request by route template (`/v1/queries/{id}`, never the raw path), method and
/// the status sent.
struct APIMetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let metrics: APIMetrics

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: Self.route(context), method: request.method.rawValue, status: response.status.code)
            return response
        } catch {
            metrics.recordRequest(route: Self.route(context), method: request.method.rawValue, status: APIError.from(error).status.code)
            throw error
        }
    }

    /// The matched route template with `{name}` parameters, or `unmatched`.
    static func route(_ context: APIRequestContext) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
        return OpenAPISpec.template(path)
    }
}
