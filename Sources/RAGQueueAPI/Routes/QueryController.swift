import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import RAGQueue
import Tracing

/// The v1 query resource: submit, read (with long poll), cancel, watch (`+Events`), and stats.
struct QueryController: Sendable {
    let dependencies: APIDependencies

    private static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    func register(on router: Router<APIRequestContext>) {
        router.post("/v1/queries") { request, context in try await submit(request, context) }
        router.get("/v1/queries/{id}") { request, context in try await read(request, context) }
        router.delete("/v1/queries/{id}") { _, context in try await cancel(context) }
        router.post("/v1/queries/{id}/retry") { _, context in try await retry(context) }
        router.get("/v1/queries/{id}/events") { request, context in try await events(request, context) }
        router.get("/v1/stats") { _, context in try await stats(context) }
    }

    /// `POST /v1/queries`: 202 with the job's id, status and links.
    private func submit(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let limits = dependencies.configuration.limits
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBodyBytes {
            throw APIError.payloadTooLarge(limit: limits.maxBodyBytes)
        }
        guard let contentType = request.headers[.contentType],
              contentType.split(separator: ";").first?.trimmingWhitespace.lowercased() == "application/json"
        else { throw APIError.unsupportedMediaType }
        let idempotencyKey = request.headers[Self.idempotencyHeader]
        if let idempotencyKey {
            guard (1...limits.maxIdempotencyKeyLength).contains(idempotencyKey.count),
                  idempotencyKey.utf8.allSatisfy({ $0 > 32 && $0 < 127 })
            else { throw APIError.validation("Idempotency-Key must be 1-\(limits.maxIdempotencyKeyLength) visible ASCII characters") }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limits.maxBodyBytes)
        }
        let query = try RAGQuery(json: buffer.readableBytesView).validated(by: dependencies.rules)
        if let callbackURL = query.callbackURL {
            let allowedHosts = dependencies.webhooks == nil ? [] : dependencies.configuration.webhooks.allowedHosts
            try CallbackURLPolicy(allowedHosts: allowedHosts).check(callbackURL)
        }
        let result = try await Self.enqueue(query, idempotencyKey: idempotencyKey, context: context, dependencies: dependencies)
        var status = JobStatus.queued
        if result.existing, let record = try await dependencies.store.job(result.id) { status = record.status }
        var body = JSONValue.object(["id": .string(result.id.rawValue), "status": .string(status.rawValue), "links": QueryView.links(result.id)]).jsonBytes
        // An answer from the cache comes with the 202: the whole query, result included.
        if result.cached, let record = try await dependencies.store.job(result.id) { body = QueryView.v1JSON(record) }
        var response = Response.json(bytes: body, status: .accepted)
        response.headers[.location] = "/v1/queries/\(result.id)"
        if result.existing { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return response
    }

    /// Enqueues a validated `query` for the caller, with the request's id and tenant, its priority,
    /// the tenant's share and limit, and a reservation against the tenant's budget when it has
    /// one; shared with the seed's `/chat`. The payload is the query's one wire shape.
    static func enqueue(_ query: RAGQuery, idempotencyKey: String?, context: APIRequestContext, dependencies: APIDependencies) async throws -> EnqueueResult {
        // A query belongs to a tenant, whose budget and share it spends; an operator has neither.
        if context.isAdmin { throw APIError.forbidden("an admin key submits no queries: use a tenant's key") }
        let settings = context.tenant.flatMap { dependencies.configuration.tenants[$0] } ?? TenantSettings()
        if let tenant = context.tenant, let collection = query.collection,
           !settings.allows(collection, tenant: tenant, defaultCollection: dependencies.rules.defaultCollection)
        {
            throw APIError.forbidden("tenant \(tenant) may not query collection \(collection)")
        }
        let budget = settings.budget.map { budget in
            let estimate = dependencies.estimator.estimate(query)
            let amount = budget.unit == .microUSD ? Int64((estimate.costUSD * 1_000_000).rounded(.up)) : Int64(estimate.totalTokens)
            return BudgetReservation(unit: budget.unit, period: budget.period, limit: budget.limit, amount: amount)
        }
        var request = EnqueueRequest(
            kind: RAGQuery.kind, payload: query.json, idempotencyKey: idempotencyKey, requestID: context.requestID,
            tenant: context.tenant, priority: query.priority ?? QueryRules.defaultPriority,
            tenantPolicy: context.tenant == nil ? nil : settings.policy, budget: budget
        )
        if settings.answerCache != false { request.answerCache = dependencies.answerCache.entry(for: query, tenant: context.tenant) }
        // The enqueue is a producer span of the request's trace; the job carries its context to
        // the worker, whose spans continue the trace.
        let span = startSpan("enqueue \(RAGQuery.kind)", ofKind: .producer)
        span.attributes["messaging.system"] = "ragqueue"
        span.attributes["messaging.operation.type"] = "send"
        request.traceParent = span.context.traceparent
        let outcome: Result<EnqueueResult, QueueError>
        do throws(QueueError) {
            outcome = .success(try await dependencies.store.enqueue(request))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let result):
            span.attributes["messaging.message.id"] = result.id.rawValue
            span.attributes["ragqueue.job.existing"] = result.existing
        case .failure(let error):
            span.recordError(error)
            span.setStatus(.init(code: .error, message: error.codeName))
        }
        span.end()
        if case .failure(let error) = outcome, error.isBudgetExhausted {
            dependencies.metrics.budgetRefusals.increment()
            throw APIError.budgetExhausted(
                tenant: context.tenant ?? "-", budget: settings.budget?.description ?? "", retryAfter: error.retryAfter ?? .seconds(60)
            )
        }
        let result = try outcome.get()
        if !result.existing {
            dependencies.metrics.jobsEnqueued.increment()
            if query.callbackURL != nil { await dependencies.webhooks?.track(result.id) }
        }
        context.logger.debug("query enqueued", metadata: ["job.id": "\(result.id)", "existing": "\(result.existing)"])
        return result
    }

    /// `GET /v1/queries/{id}[?wait=SECONDS]`: the job; with `wait`, held until it ends or the wait passes.
    private func read(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        var wait = Duration.zero
        if let waitText = request.uri.queryParameters.get("wait") {
            guard let seconds = Double(waitText), seconds.isFinite, seconds >= 0 else {
                throw APIError.validation("wait must be a number of seconds")
            }
            // Clamped before converting: a huge number would overflow the milliseconds.
            let maximum = dependencies.configuration.limits.longPollMaximum
            wait = seconds >= maximum.seconds ? maximum : Duration.milliseconds(Int64(seconds * 1000))
        }
        let idText = context.parameters.get("id")
        // A long-poll subscribes before its one read, so an end in between is not missed.
        let watch = wait > .zero ? idText.flatMap(JobID.init).map { dependencies.store.endWatch(for: $0) } : nil
        var record = try await dependencies.query(idText, context: context)
        if let watch, !record.status.isTerminal {
            let slot = try dependencies.openWait(context)
            defer { slot.release() }
            if let ended = try await dependencies.store.waitForEnd(of: record, timeout: wait, watch: watch) {
                record = try await dependencies.presented(ended)
            }
        }
        return Response.json(bytes: QueryView.v1JSON(record))
    }

    /// `DELETE /v1/queries/{id}`: cancels a waiting job at once, a running one at its next step.
    private func cancel(_ context: APIRequestContext) async throws -> Response {
        let record = try await dependencies.query(context.parameters.get("id"), context: context)
        guard !record.status.isTerminal else {
            throw APIError.conflict("query \(record.id) has already ended (\(record.status.rawValue))")
        }
        let outcome = try await dependencies.store.cancel(record.id)
        let (word, status) = switch outcome {
        case .canceled: ("canceled", JobStatus.canceled.rawValue)
        case .requested: ("cancel_requested", JobStatus.started.rawValue)
        }
        return Response.json(.object(["id": .string(record.id.rawValue), "outcome": .string(word), "status": .string(status)]))
    }

    /// `POST /v1/queries/{id}/retry` (operators): puts a failed query back in the queue with the
    /// configured attempts again (`JobStore.retry`); 409 unless it failed.
    private func retry(_ context: APIRequestContext) async throws -> Response {
        guard dependencies.seesAll(context) else { throw APIError.forbidden("retrying a query needs an operator's key (API_ADMIN_KEYS)") }
        let record = try await dependencies.query(context.parameters.get("id"), context: context)
        try await dependencies.store.retry(record.id)
        guard let queued = try await dependencies.store.job(record.id) else { throw APIError.notFound() }
        return Response.json(bytes: QueryView.v1JSON(try await dependencies.presented(queued)), status: .accepted)
    }

    /// `GET /v1/stats`: the queue's sizes and counters, and the tenants' lines, usage, cost and
    /// budgets: every tenant without API keys, the caller's own with them.
    private func stats(_ context: APIRequestContext) async throws -> Response {
        let stats = try await dependencies.store.stats()
        var tenants: [JSONValue] = []
        for tenant in try await dependencies.store.tenantStats() where context.tenant == nil || context.tenant == tenant.tenant {
            tenants.append(try await tenantView(tenant))
        }
        return Response.json(.object([
            "waiting": .integer(stats.waiting), "active": .integer(stats.active), "scheduled": .integer(stats.scheduled),
            "failed": .integer(stats.failed), "oldest_waiting_seconds": .number(stats.oldestWaitingSeconds),
            "live_workers": .integer(stats.liveWorkers), "expired_leases": .integer(stats.expiredLeases),
            "ended_per_second": .number((stats.endedPerSecond * 1000).rounded() / 1000), "max_depth": .integer(stats.maxDepth),
            "counters": .object(stats.counters.mapValues { .integer($0) }),
            "failures": .object(stats.failures.mapValues { .integer($0) }), "tenants": .array(tenants),
        ]))
    }

    /// One tenant in `/v1/stats`: its line, usage and cost, and its budget for the period now.
    private func tenantView(_ tenant: TenantStats) async throws -> JSONValue {
        var object: [String: JSONValue] = [
            "tenant": .string(tenant.tenant), "waiting": .integer(tenant.waiting), "running": .integer(tenant.running),
            "weight": .number(tenant.weight), "usage": .object(tenant.usage.counters.mapValues { .integer(Int($0)) }),
            "cost_usd": .number(Double(tenant.usage[JobUsage.costMicroUSD]) / 1_000_000),
        ]
        if let limit = tenant.maxRunning { object["max_running"] = .integer(limit) }
        if let budget = dependencies.configuration.tenants[tenant.tenant]?.budget {
            let status = try await dependencies.store.budgetStatus(tenant: tenant.tenant, period: budget.period, unit: budget.unit)
            object["budget"] = .object([
                "limit": .string(budget.description), "unit": .string(budget.unit.rawValue), "period": .string(budget.period.rawValue),
                "limit_units": .integer(Int(budget.limit)), "reserved_units": .integer(Int(status.reserved)),
                "spent_units": .integer(Int(status.spent)),
            ])
        }
        return .object(object)
    }
}
