import Hummingbird
import Logging
import RAGQueue

/// Operational routes: liveness, readiness, Prometheus metrics and the OpenAPI document.
struct OperationsController: Sendable {
    let dependencies: APIDependencies

    /// How long `/readyz` waits for Valkey's `PONG`.
    static let readinessTimeout: Duration = .seconds(1)

    func register(on router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ in Response.json(.object(["status": .string("ok")])) }
        router.get("/readyz") { _, context in await ready(logger: context.logger) }
        router.get("/metrics") { _, context in await metrics(logger: context.logger) }
        router.get("/openapi.yaml") { _, _ in
            Response.text(OpenAPISpec.yaml, contentType: "application/yaml")
        }
    }

    /// 200 when the queue's store answers within `readinessTimeout`, else 503.
    /// 503 `valkey_data_lost` once the store was seen to have lost its data (`StoreDataLossWatch`).
    private func ready(logger: Logger) async -> Response {
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
        if ready, await dependencies.dataLoss.check(logger: logger) {
            dependencies.metrics.record(dataLost: true)
            return APIError.dataLost.makeResponse()
        }
        if ready { return Response.json(.object(["status": .string("ready")])) }
        var response = APIError.unavailable("the queue backend does not answer").makeResponse()
        response.headers[.retryAfter] = "1"
        return response
    }

    /// The Prometheus text exposition, with the queue gauges read now.
    private func metrics(logger: Logger) async -> Response {
        if let stats = try? await dependencies.store.stats() {
            dependencies.metrics.update(from: stats)
            dependencies.metrics.record(dataLost: await dependencies.dataLoss.check(logger: logger))
            if let tenants = try? await dependencies.store.tenantStats() { dependencies.metrics.update(from: tenants) }
        } else {
            dependencies.metrics.markQueueUnavailable()
        }
        return Response.text(dependencies.metrics.render(), contentType: APIMetrics.contentType)
    }
}
