import Hummingbird
import Logging
import RAGQueue
import Tracing

/// Builds the HTTP API around explicit dependencies; `ragserve api` and the tests both call it.
///
/// The caller owns `store` (close it after the application stops). With `httpClient`, results
/// are POSTed to `callback_url`s by a `WebhookDispatcher` that runs as one of the application's
/// services.
/// - Parameter onServerRunning: called with the bound port once the server accepts connections.
public func buildAPIApplication(
    store: any QueueStore,
    rules: QueryRules,
    estimator: CostEstimator = CostEstimator(),
    answerCache: AnswerCachePolicy = AnswerCachePolicy(),
    configuration: APIConfiguration,
    logger: Logger,
    httpClient: CurlHTTPClient? = nil,
    metrics: APIMetrics = APIMetrics(),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try configuration.validate()
    let webhooks = httpClient.map { client in
        WebhookDispatcher(store: store, configuration: configuration.webhooks, httpClient: client, metrics: metrics, logger: logger)
    }
    let dependencies = APIDependencies(
        store: store, rules: rules, estimator: estimator, answerCache: answerCache, configuration: configuration, metrics: metrics,
        webhooks: webhooks
    )
    let port = configuration.port
    return Application(
        router: buildAPIRouter(dependencies),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [ParserErrorBodyHandler()],
            idleTimeout: .milliseconds(configuration.limits.idleTimeout.milliseconds)
        )),
        configuration: .init(
            address: .hostname(configuration.host, port: port), serverName: "RAGQueue",
            availableConnectionsDelegate: .maximum(configuration.limits.maxConnections, logger: logger)
        ),
        services: webhooks.map { [$0] } ?? [],
        onServerRunning: { channel in
            // The marker the data-loss watch compares against, read (or written) before any request.
            _ = await dependencies.dataLoss.check(logger: logger)
            await onServerRunning(channel.localAddress?.port ?? port)
        },
        logger: logger
    )
}

/// The API's router: middleware (request id, metrics, errors, keys and rate limit), every route,
/// and 405 for a routed path asked with another method.
public func buildAPIRouter(_ dependencies: APIDependencies) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    // Outermost, when a tracer is bootstrapped: a server span per request, continuing the caller's
    // `traceparent`. Without one it would only spend time building attributes nobody records.
    if !(InstrumentationSystem.instrument is NoOpInstrument) { router.add(middleware: TracingMiddleware()) }
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: APIMetricsMiddleware(metrics: dependencies.metrics))
    router.add(middleware: APIErrorMiddleware())
    router.add(middleware: APIKeyMiddleware(
        keys: dependencies.configuration.apiKeys, adminKeys: dependencies.configuration.adminKeys,
        rateLimit: dependencies.configuration.rateLimit, store: dependencies.store,
        metrics: dependencies.metrics
    ))
    SeedRoutesController(dependencies: dependencies).register(on: router)
    QueryController(dependencies: dependencies).register(on: router)
    OperationsController(dependencies: dependencies).register(on: router)
    DashboardController(dependencies: dependencies).register(on: router)
    // Last: it then wraps only the router's not-found responder (see the type).
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}
