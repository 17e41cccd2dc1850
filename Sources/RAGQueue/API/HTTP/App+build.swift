import Hummingbird
import Logging
import RAGQueue


/// Builds the HTTP API around explicit dependencies; `ragserve api` and the tests both call it.
///
/// The caller owns `events` (start it before serving, close it after) and the Valkey client.
/// With `httpClient`, results are POSTed to `callback_url`s by a `WebhookDispatcher` that runs
/// as one of the application's services.
/// - Parameter onServerRunning: called with the bound port once the server accepts connections.
public func buildAPIApplication(
    store: any JobStore,
    events: JobEvents,
    valkey: ValkeyClient,
    queue: QueueConfiguration,
    configuration: APIConfiguration,
    logger: Logger,
    httpClient: CurlHTTPClient? = nil,
    metrics: APIMetrics = APIMetrics(),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    var configuration = configuration
    try configuration.loadKeyFile()
    try configuration.validate()
    let keys = try queue.keys()
    let webhooks = httpClient.map { client in
        WebhookDispatcher(
            store: store, events: events, valkey: valkey, keys: keys, configuration: configuration.webhooks,
            httpClient: client, metrics: metrics, logger: logger
        )
    }
    let dependencies = APIDependencies(
        store: store, events: events, valkey: valkey, keys: keys, configuration: configuration, metrics: metrics, webhooks: webhooks
    )
    let router = buildAPIRouter(dependencies)
    let port = configuration.port
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: port), serverName: "RAGQueue"),
        services: webhooks.map { [$0] } ?? [],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}

/// The API's router: middleware (request id, metrics, errors, keys and rate limit), every route,
/// and 405 for a routed path asked with another method.
public func buildAPIRouter(_ dependencies: APIDependencies) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    let limiter = ValkeyRateLimiter(
        client: dependencies.valkey, keyPrefix: dependencies.keys.base, limit: dependencies.configuration.rateLimit
    )
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: APIMetricsMiddleware(metrics: dependencies.metrics))
    router.add(middleware: APIErrorMiddleware())
    router.add(middleware: APIKeyMiddleware(keys: dependencies.configuration.apiKeys, limiter: limiter, metrics: dependencies.metrics))
    SeedController(dependencies: dependencies).register(on: router)
    QueryController(dependencies: dependencies).register(on: router)
    OperationsController(dependencies: dependencies).register(on: router)
    // Last: it then wraps only the router's not-found responder (see the type).
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}
