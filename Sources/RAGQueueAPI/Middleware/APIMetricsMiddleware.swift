import Hummingbird
import Logging
import RAGQueue

/// Counts and times every request by route template (`/v1/queries/{id}`, never the raw path),
/// method and the status sent, and writes the access log: one info line per request with its
/// method, path (without the query string), status and milliseconds, under the request's id
/// (probes and scrapes, which come every few seconds, at `debug`). The time is to the response's
/// headers: a stream's body is not in it.
struct APIMetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let metrics: APIMetrics

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context: context, status: response.status.code, duration: ContinuousClock.now - start)
            return response
        } catch {
            record(request, context: context, status: APIError.from(error).status.code, duration: ContinuousClock.now - start)
            throw error
        }
    }

    private func record(_ request: Request, context: APIRequestContext, status: Int, duration: Duration) {
        let route = Self.route(context)
        metrics.recordRequest(route: route, method: request.method.rawValue, status: status, duration: duration)
        context.logger.log(level: Self.probes.contains(route) ? .debug : .info, "request", metadata: [
            "http.method": .string(request.method.rawValue), "http.path": .string(String(request.uri.path)),
            "http.route": .string(route), "http.status": .stringConvertible(status),
            "duration_ms": .stringConvertible((duration.seconds * 1000 * 100).rounded() / 100),
        ])
    }

    /// Routes asked by machines on a schedule: health checks and Prometheus.
    static let probes: Set<String> = ["/healthz", "/readyz", "/metrics"]

    /// The matched route template with `{name}` parameters, or `unmatched`.
    static func route(_ context: APIRequestContext) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
        return OpenAPISpec.template(path)
    }
}
