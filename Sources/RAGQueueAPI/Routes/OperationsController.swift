import Hummingbird
import RAGQueue

/// Operational routes: liveness, readiness, Prometheus metrics and the OpenAPI document.
struct OperationsController: Sendable {
    let dependencies: APIDependencies

    /// How long `/readyz` waits for Valkey's `PONG`.
    static let readinessTimeout: Duration = .seconds(1)

    func register(on router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ in Response.json(.object(["status": .string("ok")])) }
        router.get("/readyz") { _, _ in await ready() }
        router.get("/metrics") { _, _ in await metrics() }
        router.get("/openapi.yaml") { _, _ in
            Response.text(OpenAPISpec.yaml, contentType: "application/yaml")
        }
    }

    /// 200 when the queue's store answers within `readinessTimeout`, else 503.
    private func ready() async -> Response {
        let store = dependencies.store
        let (results, continuation) = AsyncStream<Bool>.makeStream()
        // Unstructured on purpose: a ping stuck in reconnect backoff must not hold the response.
        let ping = Task {
            do {
                try await store.ping()
                continuation.yield(true)
            } catch {
                continuation.yield(false)
            }
        }
        let timer = Task {
            try? await Task.sleep(for: Self.readinessTimeout)
            continuation.yield(false)
        }
        var ready = false
        for await result in results {
            ready = result
            break
        }
        timer.cancel()
        _ = ping
        continuation.finish()
        if ready { return Response.json(.object(["status": .string("ready")])) }
        var response = APIError.unavailable("the queue backend does not answer").makeResponse()
        response.headers[.retryAfter] = "1"
        return response
    }

    /// The Prometheus text exposition, with the queue gauges read now.
    private func metrics() async -> Response {
        if let stats = try? await dependencies.store.stats() { dependencies.metrics.update(from: stats) }
        if let tenants = try? await dependencies.store.tenantStats() { dependencies.metrics.update(from: tenants) }
        return Response.text(dependencies.metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
