import Hummingbird

/// Routes Qdrant requests and applies what every endpoint shares: the optional API key, injected
/// faults, the request rate limit, latency, the concurrency limit and the response envelope.
struct QdrantResponder: HTTPResponder {
    typealias Context = FakeRequestContext
    typealias Endpoint = FakeQdrantServer.Endpoint

    let configuration: FakeQdrantServer.Configuration
    let gate: RequestGate<Endpoint>
    let rateLimiter: RateLimiter
    let store: QdrantStore

    /// A route: the endpoint plus the collection name and extra path part (point id, field).
    struct Route {
        var endpoint: Endpoint
        var collection: String = ""
        var argument: String = ""
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let method = request.method.rawValue
        guard let route = Self.route(method: method, segments: HTTPSupport.pathSegments(of: request)) else {
            return render(QdrantError(status: 404, message: "Not found: no route for \(method) \(request.uri.path)"))
        }
        guard let body = try await HTTPSupport.body(of: request) else {
            gate.counters.recordRejected(route.endpoint)
            return render(QdrantError(status: 413, message: "Payload too large"))
        }
        let requestHash = RequestGate<Endpoint>.requestHash(method: method, path: request.uri.path, body: body)
        var ticket = gate.admit(route.endpoint, requestHash: requestHash, request: request)

        if let refusal = authorize(request, endpoint: route.endpoint) {
            gate.counters.recordRejected(route.endpoint)
            return render(refusal)
        }
        let lease = try await gate.enter()
        defer { lease.release() }
        if let fault = gate.inject(route.endpoint, ticket: ticket) {
            guard case .status(let status) = fault else {
                try await gate.dropConnection(fault, context: context)
            }
            return render(.injected(status: status, retryAfter: ticket.retryAfter))
        }
        let limits = rateLimiter.admit(tokens: 0)
        if limits.refusedBy != nil {
            gate.counters.recordRateLimited(route.endpoint)
            let seconds = max(1, (max(0, limits.retryAfter.ceilMilliseconds) + 999) / 1000)
            return render(
                QdrantError(
                    status: 429, message: "Too many requests: rate limit exceeded, retry after \(seconds) s",
                    headers: [("retry-after", String(seconds))]))
        }
        try await gate.delay(route.endpoint, ticket: &ticket)

        let handlers = QdrantHandlers(store: store, version: configuration.version)
        do {
            switch route.endpoint {
            case .root: return HTTPSupport.json(200, JSONWriter.encode(handlers.versionInfo()))
            case .health: return HTTPSupport.text(200, Self.healthText(route.argument))
            default:
                let wait = HTTPSupport.query("wait", in: request).map { $0 == "true" } ?? false
                let result = try handlers.handle(route, body: body, wait: wait)
                return render(result: result)
            }
        } catch {
            gate.counters.recordRejected(route.endpoint)
            return render(error)
        }
    }

    private static func healthText(_ name: String) -> String {
        switch name {
        case "livez": return "livez check passed"
        case "readyz": return "all shards are ready"
        default: return "healthz check passed"
        }
    }

    /// The route of a method and path, or nil.
    static func route(method: String, segments: [String]) -> Route? {
        if segments.count >= 2, segments[0] == "collections" {
            return collectionRoute(method: method, name: segments[1], rest: Array(segments.dropFirst(2)))
        }
        guard method == "GET" else { return nil }
        switch segments {
        case []: return Route(endpoint: .root)
        case ["healthz"], ["livez"], ["readyz"]: return Route(endpoint: .health, argument: segments[0])
        case ["collections"]: return Route(endpoint: .listCollections)
        default: return nil
        }
    }

    private static func collectionRoute(method: String, name: String, rest: [String]) -> Route? {
        let endpoint: Endpoint
        var argument = ""
        switch (method, rest) {
        case ("PUT", []): endpoint = .createCollection
        case ("GET", []): endpoint = .getCollection
        case ("PATCH", []): endpoint = .updateCollection
        case ("DELETE", []): endpoint = .deleteCollection
        case ("GET", ["exists"]): endpoint = .collectionExists
        case ("PUT", ["points"]): endpoint = .upsertPoints
        case ("POST", ["points"]): endpoint = .retrievePoints
        case ("POST", ["points", "query"]): endpoint = .queryPoints
        case ("POST", ["points", "search"]): endpoint = .searchPoints
        case ("POST", ["points", "scroll"]): endpoint = .scrollPoints
        case ("POST", ["points", "count"]): endpoint = .countPoints
        case ("POST", ["points", "delete"]): endpoint = .deletePoints
        case ("GET", let parts) where parts.count == 2 && parts[0] == "points":
            endpoint = .getPoint
            argument = parts[1]
        case ("PUT", ["index"]): endpoint = .createIndex
        case ("DELETE", let parts) where parts.count == 2 && parts[0] == "index":
            endpoint = .deleteIndex
            argument = parts[1]
        default: return nil
        }
        return Route(endpoint: endpoint, collection: name, argument: argument)
    }

    /// nil when the request may proceed, else the 401/403 to answer with.
    private func authorize(_ request: Request, endpoint: Endpoint) -> QdrantError? {
        guard let expected = configuration.apiKey, endpoint != .root, endpoint != .health else { return nil }
        var given = HTTPSupport.header("api-key", in: request)
        if given == nil, let header = HTTPSupport.header("authorization", in: request) {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { given = parts[1].trimmingCharacters() }
        }
        guard let given else { return QdrantError(status: 401, message: "Must provide an API key or an Authorization bearer token") }
        return given == expected ? nil : QdrantError(status: 401, message: "Invalid API key or JWT")
    }

    private func render(result: JSONValue) -> Response {
        HTTPSupport.json(200, JSONWriter.encode(.obj([("result", result), ("status", "ok"), ("time", .double(0.0))])))
    }

    private func render(_ error: QdrantError) -> Response {
        HTTPSupport.json(error.status, JSONWriter.encode(error.body), headers: error.headers)
    }
}
