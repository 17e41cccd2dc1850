import Hummingbird

/// Routes OpenAI requests and applies what every endpoint shares: authentication, injected
/// faults, rate limits, latency, the concurrency limit and the `x-request-id` / `x-ratelimit-*`
/// headers.
struct OpenAIResponder: HTTPResponder {
    typealias Context = FakeRequestContext
    typealias Endpoint = FakeOpenAIServer.Endpoint

    let configuration: FakeOpenAIServer.Configuration
    let gate: RequestGate<Endpoint>
    let rateLimiters: ModelRateLimiters

    /// A parsed, validated request ready to be answered.
    struct Prepared {
        /// Tokens the request costs against the tokens-per-minute limit.
        var tokenCost: Int
        /// The model named in the request, for rate-limit messages.
        var model: String?
        /// Builds the answer once admitted; the lease is held until the answer is fully written.
        var answer: (inout RequestGate<Endpoint>.Ticket, RequestGate<Endpoint>.Lease) async throws -> Response
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let method = request.method.rawValue
        let segments = HTTPSupport.pathSegments(of: request)
        guard let endpoint = route(method: method, segments: segments) else {
            return render(.invalidURL(method: method, path: request.uri.path), requestID: "req_" + String(repeating: "0", count: 32), started: started)
        }
        guard let body = try await HTTPSupport.body(of: request) else {
            gate.counters.recordRejected(endpoint)
            return render(.tooLarge, requestID: "req_" + String(repeating: "0", count: 32), started: started)
        }
        let requestHash = RequestGate<Endpoint>.requestHash(method: method, path: request.uri.path, body: body)
        var ticket = gate.admit(endpoint, requestHash: requestHash, request: request)
        let requestID = Self.requestID(seed: gate.seed, requestHash: requestHash, sequence: ticket.sequence)

        if let refusal = authorize(request) {
            gate.counters.recordRejected(endpoint)
            return render(refusal, requestID: requestID, started: started)
        }
        let lease = try await gate.enter()
        if let fault = gate.inject(endpoint, ticket: ticket) {
            guard case .status(let status) = fault else {
                try await gate.dropConnection(fault, context: context)
            }
            return render(.injected(status: status, retryAfter: ticket.retryAfter), requestID: requestID, started: started)
        }

        let prepared: Prepared
        do {
            prepared = try prepare(endpoint, segments: segments, body: body)
        } catch {
            gate.counters.recordRejected(endpoint)
            try await gate.delay(endpoint, ticket: &ticket)
            return render(error, requestID: requestID, started: started)
        }

        let limits = rateLimiters.limiter(for: prepared.model).admit(tokens: prepared.tokenCost)
        if let refusedBy = limits.refusedBy {
            gate.counters.recordRateLimited(endpoint)
            var error = Self.rateLimitError(refusedBy: refusedBy, model: prepared.model, limits: limits, cost: prepared.tokenCost)
            error.headers += Self.rateLimitHeaders(limits)
            return render(error, requestID: requestID, started: started)
        }
        try await gate.delay(endpoint, ticket: &ticket)
        var response = try await prepared.answer(&ticket, lease)
        let headers = [("x-request-id", requestID)] + Self.standardHeaders(started: started) + Self.rateLimitHeaders(limits)
        HTTPSupport.set(headers, on: &response)
        return response
    }

    /// The endpoint of a method and path, or nil for an unknown route.
    private func route(method: String, segments: [String]) -> Endpoint? {
        guard segments.first == "v1" else { return nil }
        switch (method, Array(segments.dropFirst())) {
        case ("GET", ["models"]): return .listModels
        case ("GET", let rest) where rest.count == 2 && rest[0] == "models": return .retrieveModel
        case ("POST", ["embeddings"]): return .embeddings
        case ("POST", ["chat", "completions"]): return .chatCompletions
        default: return nil
        }
    }

    /// Validates and parses the request for its endpoint; throws the error to answer with.
    private func prepare(_ endpoint: Endpoint, segments: [String], body: [UInt8]) throws(OpenAIError) -> Prepared {
        switch endpoint {
        case .listModels:
            let models = OpenAIModels(configuration: configuration)
            return Prepared(tokenCost: 0, model: nil) { _, _ in models.list() }
        case .retrieveModel:
            let id = segments.last ?? ""
            let models = OpenAIModels(configuration: configuration)
            let response = try models.retrieve(id)
            return Prepared(tokenCost: 0, model: id) { _, _ in response }
        case .embeddings:
            let request = try OpenAIEmbeddingsRequest(body: body, models: configuration.embeddingModels)
            return Prepared(tokenCost: request.promptTokens, model: request.model) { _, _ in request.respond() }
        case .chatCompletions:
            let request = try OpenAIChatRequest(body: body, models: configuration.chatModels)
            let perToken = configuration.latency.perOutputToken
            return Prepared(tokenCost: request.completion.usage.total, model: request.model) { _, lease in
                try await request.respond(perOutputToken: perToken, lease: lease)
            }
        }
    }

    /// nil when the request may proceed, else the 401 to answer with.
    private func authorize(_ request: Request) -> OpenAIError? {
        guard configuration.requireAuthorization else { return nil }
        guard let header = HTTPSupport.header("authorization", in: request) else { return .missingKey }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .missingKey }
        let key = parts[1].trimmingCharacters()
        if key.isEmpty { return .missingKey }
        if key.hasPrefix("sk-invalid") { return .invalidKey(key) }
        return nil
    }

    private func render(_ error: OpenAIError, requestID: String, started: ContinuousClock.Instant) -> Response {
        let limits = rateLimiters.limiter(for: nil).peek()
        var headers = [("x-request-id", requestID)] + Self.standardHeaders(started: started) + error.headers
        if !error.headers.contains(where: { $0.0.hasPrefix("x-ratelimit") }) { headers += Self.rateLimitHeaders(limits) }
        if error.status == 429 || error.status >= 500 {
            // The python SDK retries these anyway; saying so keeps other clients in step.
            headers.append(("x-should-retry", error.code == "insufficient_quota" ? "false" : "true"))
        }
        return HTTPSupport.json(error.status, JSONWriter.encode(error.body), headers: headers)
    }

    /// `req_` and 32 hex digits derived from seed, request and sequence number.
    static func requestID(seed: UInt64, requestHash: UInt64, sequence: Int) -> String {
        var random = SeededRandom(mixing: seed, requestHash, UInt64(sequence), 0x1D)
        let high = String(random.next(), radix: 16)
        let low = String(random.next(), radix: 16)
        return "req_" + String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 16 - low.count) + low
    }

    static func standardHeaders(started: ContinuousClock.Instant) -> [(String, String)] {
        let elapsed = ContinuousClock.now - started
        return [("openai-processing-ms", String(max(0, elapsed.ceilMilliseconds))), ("openai-version", "2020-10-01")]
    }

    static func rateLimitHeaders(_ limits: RateLimiter.Decision) -> [(String, String)] {
        [
            ("x-ratelimit-limit-requests", String(limits.limitRequests)),
            ("x-ratelimit-remaining-requests", String(limits.remainingRequests)),
            ("x-ratelimit-reset-requests", limits.resetRequests.goStyle),
            ("x-ratelimit-limit-tokens", String(limits.limitTokens)),
            ("x-ratelimit-remaining-tokens", String(limits.remainingTokens)),
            ("x-ratelimit-reset-tokens", limits.resetTokens.goStyle),
        ]
    }

    static func rateLimitError(refusedBy: String, model: String?, limits: RateLimiter.Decision, cost: Int) -> OpenAIError {
        let isRequests = refusedBy == "requests"
        let limit = isRequests ? limits.limitRequests : limits.limitTokens
        let used = limit - (isRequests ? limits.remainingRequests : limits.remainingTokens)
        let unit = isRequests ? "requests per min (RPM)" : "tokens per min (TPM)"
        let requested = isRequests ? 1 : cost
        let message =
            "Rate limit reached for \(model ?? "default") in organization org-fake on \(unit): Limit \(limit), Used \(used), Requested \(requested). Please try again in \(limits.retryAfter.goStyle). Visit https://platform.openai.com/account/rate-limits to learn more."
        var error = OpenAIError(status: 429, message: message, type: refusedBy, param: nil, code: "rate_limit_exceeded")
        error.headers = OpenAIError.retryAfterHeaders(limits.retryAfter)
        return error
    }
}

extension Substring {
    /// The text without surrounding spaces and tabs.
    func trimmingCharacters() -> String {
        String(self).trimmingSpaces
    }
}
