import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import RAGQueue

/// `/ui/`: the operators' dashboard, server-rendered from the queue's own figures (the same as
/// `/v1/stats`), with no JavaScript build: the overview refreshes itself every 2 s by fetching its
/// fragment (`/ui/overview`).
///
/// Who may look: an operator's key (`API_ADMIN_KEYS`; a browser sends it as HTTP Basic's password
/// after the 401's challenge), or anyone when the API runs with no keys at all (as the API itself
/// then does). A tenant's key is 403 on the dashboard, which shows every tenant; it may use the ask
/// page (`/ui/ask`: a question box whose answer streams into the page) and see its own queries'
/// pages, without their actions. Pages carry a Content
/// Security Policy that allows only this server's own script and style sheet, and every value is
/// HTML-escaped by the templates. Actions are POSTs from this origin only (a browser's `Origin`
/// or `Sec-Fetch-Site` must say so), so another site cannot make an operator's browser cancel a job.
struct DashboardController: Sendable {
    let dependencies: APIDependencies

    /// Jobs listed as running, at most.
    static let runningLimit = 50
    /// Jobs on one page of the recent jobs.
    static let pageSize = 50

    func register(on router: Router<APIRequestContext>) {
        router.get("/ui/") { _, context in try await page(context) }
        router.get("/ui/overview") { _, context in
            try authorize(context)
            return Self.html(try await overview())
        }
        router.get("/ui/jobs") { request, context in try await jobs(request, context) }
        router.get("/ui/jobs/{id}") { _, context in try await job(context) }
        router.get("/ui/ask") { _, context in try ask(context) }
        router.post("/ui/jobs/{id}/cancel") { request, context in
            try await act(request, context) { store, id throws(QueueError) in _ = try await store.cancel(id) }
        }
        router.post("/ui/jobs/{id}/retry") { request, context in
            try await act(request, context) { store, id throws(QueueError) in try await store.retry(id) }
        }
        router.get("/ui/app.js") { _, context in
            try authorizeCaller(context)
            return Self.asset(DashboardTemplates.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/ui/style.css") { _, context in
            try authorizeCaller(context)
            return Self.asset(DashboardTemplates.style, type: "text/css; charset=utf-8")
        }
    }


    /// Lets operators in, and everyone when the API has no keys; a tenant's key is 403, none 401.
    private func authorize(_ context: APIRequestContext) throws {
        if dependencies.seesAll(context) { return }
        if context.tenant != nil { throw APIError.forbidden("the dashboard shows every tenant: it needs an operator's key (API_ADMIN_KEYS)") }
        throw APIError.unauthorized
    }

    /// Lets in whoever the API lets in: an operator, a tenant, anyone when it has no keys.
    private func authorizeCaller(_ context: APIRequestContext) throws {
        if dependencies.seesAll(context) || context.tenant != nil { return }
        throw APIError.unauthorized
    }

    private func ask(_ context: APIRequestContext) throws -> Response {
        try authorizeCaller(context)
        let rules = dependencies.rules
        let allowed = context.tenant.flatMap { dependencies.configuration.tenants[$0]?.collections } ?? []
        let collections = Set(allowed.filter { $0 != "*" }).union([rules.defaultCollection]).sorted()
        let body = Self.render("ask", [
            "maxLength": rules.maxQuestionLength, "defaultCollection": rules.defaultCollection,
            "collections": collections.map { ["name": $0] },
            "topKs": (1...rules.maxTopK).map { ["value": $0, "selected": $0 == rules.defaultTopK] as [String: Any] },
        ])
        return Self.html(Self.render("layout", ["title": "Ask", "body": body]))
    }

    private func page(_ context: APIRequestContext) async throws -> Response {
        try authorize(context)
        let body = Self.render("dashboard", ["overview": try await overview()])
        return Self.html(Self.render("layout", ["title": "Dashboard", "body": body]))
    }

    /// The overview's HTML: queue, workers, running jobs, tenants and counters.
    private func overview() async throws -> String {
        let store = dependencies.store
        let stats = try await store.stats()
        let workers = try await store.workers().sorted { $0.id < $1.id }
        let now = SystemWallClock().nowMilliseconds()
        let running = try await store.runningJobs(limit: Self.runningLimit)
        let tenants = try await store.tenantStats()
        let values: [String: Any] = [
            "queue": [
                "waiting": stats.waiting, "active": stats.active, "scheduled": stats.scheduled, "failed": stats.failed,
                "endedPerSecond": String(format: "%.3f", stats.endedPerSecond), "oldestWaiting": Self.seconds(stats.oldestWaitingSeconds),
                "liveWorkers": stats.liveWorkers, "expiredLeases": stats.expiredLeases,
                "depth": stats.waiting + stats.scheduled, "maxDepth": stats.maxDepth > 0 ? String(stats.maxDepth) : "no limit",
            ] as [String: Any],
            "hasWorkers": !workers.isEmpty,
            "workers": workers.map { worker -> [String: Any] in
                [
                    "id": worker.id, "host": worker.host, "pid": Int(worker.pid), "concurrency": worker.concurrency,
                    "since": QueryView.iso(Date(timeIntervalSince1970: Double(worker.startedAtMilliseconds) / 1000)), "kinds": worker.kinds.joined(separator: ", "),
                    "inFlight": worker.jobsInFlight.map(String.init) ?? "?",
                    "heartbeat": worker.heartbeatDeadlineMilliseconds.map { Self.seconds(max(0, Double($0 - now) / 1000)) } ?? "?",
                ]
            },
            "hasRunning": !running.isEmpty,
            "running": running.map { record -> [String: Any] in
                [
                    "id": record.id.rawValue, "tenant": record.tenant ?? "-", "question": Self.question(of: record).map { Self.clipped($0, 120) } ?? "",
                    "worker": record.workerID ?? "", "started": record.startedAt.map(QueryView.iso) ?? "", "attempts": record.attempts,
                ]
            },
            "hasTenants": !tenants.isEmpty,
            "tenants": try await tenantRows(tenants),
            "charts": Self.charts(dependencies.series.points()),
            "hasFailures": !stats.failures.isEmpty,
            "failures": stats.failures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ["reason": $0.key, "count": $0.value] as [String: Any] },
            "counters": stats.counters.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] as [String: Any] },
        ]
        return Self.render("overview", values)
    }

    /// `/ui/jobs`: the recent jobs, newest first, filtered by status, tenant and question text,
    /// `pageSize` a page; `after` is the cursor the previous page's "Older" link carries.
    private func jobs(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try authorize(context)
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String? { parameters.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        var status: JobStatus?
        if let text = parameter("status") {
            guard let value = JobStatus(rawValue: text) else {
                throw APIError.badRequest("status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        var cursor: JobCursor?
        if let text = parameter("after") {
            guard let value = JobCursor(text) else { throw APIError.badRequest("after is not a cursor of this listing") }
            cursor = value
        }
        let tenant = parameter("tenant").map { String($0.prefix(200)) }
        let text = parameter("text").map { String($0.prefix(200)) }
        let filter = JobFilter(status: status, tenant: tenant, text: text)
        let page = try await dependencies.store.jobs(matching: filter, after: cursor, limit: Self.pageSize)
        let tenants = try await dependencies.store.tenantStats().map(\.tenant).filter { $0 != "-" }.sorted()
        func link(after next: JobCursor?) -> String {
            var components = URLComponents()
            components.path = "/ui/jobs"
            let items = [("status", status?.rawValue), ("tenant", tenant), ("text", text), ("after", next?.description)]
            components.queryItems = items.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            return components.string ?? "/ui/jobs"
        }
        var values: [String: Any] = [
            "statuses": JobStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == status] as [String: Any] },
            "tenant": tenant ?? "", "text": text ?? "", "tenants": tenants.map { ["name": $0] },
            "hasJobs": !page.records.isEmpty,
            "jobs": page.records.map { record -> [String: Any] in
                var row: [String: Any] = [
                    "id": record.id.rawValue, "status": record.status.rawValue, "tenant": record.tenant ?? "-",
                    "question": Self.question(of: record).map { Self.clipped($0, 100) } ?? record.kind,
                    "created": QueryView.iso(record.createdAt), "attempts": record.attempts,
                ]
                if let ended = record.endedAt { row["took"] = Self.seconds(ended.timeIntervalSince(record.createdAt)) }
                if let error = record.error, record.status == .failed { row["error"] = error.code }
                return row
            },
        ]
        if cursor != nil { values["newest"] = link(after: nil) }
        if let next = page.next {
            values["older"] = link(after: next)
            // A rare filter stops after a bounded walk: say so, rather than look like the end.
            values["partial"] = page.records.count < Self.pageSize
        }
        return Self.html(Self.render("layout", ["title": "Jobs", "body": Self.render("jobs", values)]))
    }

    /// The charts of the last minutes: jobs ended per second, and the queue wait's and end to end
    /// time's percentiles, as inline SVG.
    static func charts(_ points: [DashboardSeries.Point]) -> String {
        let seconds = Int(DashboardSeries.bucketSeconds) * points.count
        let span = seconds >= 120 ? "-\(seconds / 60) min" : "-\(seconds) s"
        let colors = (p50: "#3a7bd5", p95: "#e0a030", p99: "#d04040")
        func percentiles(_ pick: (DashboardSeries.Point) -> DashboardSeries.Percentiles?) -> [DashboardChart.Line] {
            [
                .init(label: "p50", color: colors.p50, values: points.map { pick($0)?.p50 }),
                .init(label: "p95", color: colors.p95, values: points.map { pick($0)?.p95 }),
                .init(label: "p99", color: colors.p99, values: points.map { pick($0)?.p99 }),
            ]
        }
        return [
            DashboardChart.svg(name: "throughput", title: "Jobs ended per second", unit: "/s", span: span, lines: [
                .init(label: "finished", color: "#3a9a50", values: points.map(\.finishedPerSecond)),
                .init(label: "failed", color: "#d04040", values: points.map(\.failedPerSecond)),
            ]),
            DashboardChart.svg(name: "total", title: "Submit to end", unit: "s", span: span, lines: percentiles(\.total)),
            DashboardChart.svg(name: "wait", title: "Queue wait", unit: "s", span: span, lines: percentiles(\.wait)),
        ].joined(separator: "\n")
    }

    /// The tenants' rows: line, usage, cost, what the cache saved, and the budget of the period
    /// now (spent, reserved by jobs not ended, limit) when the tenant has one.
    private func tenantRows(_ tenants: [TenantStats]) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for tenant in tenants {
            var row: [String: Any] = [
                "name": tenant.tenant, "waiting": tenant.waiting, "running": tenant.running, "weight": Self.number(tenant.weight),
                "limit": tenant.maxRunning.map(String.init) ?? "none", "tokens": tenant.usage[JobUsage.tokens],
                "cost": Self.dollars(tenant.usage[JobUsage.costMicroUSD]), "saved": Self.dollars(tenant.usage[JobUsage.savedMicroUSD]),
                "budget": "none",
            ]
            if let budget = dependencies.configuration.tenants[tenant.tenant]?.budget {
                let status = try await dependencies.store.budgetStatus(tenant: tenant.tenant, period: budget.period, unit: budget.unit)
                func amount(_ units: Int64) -> String { budget.unit == .microUSD ? Self.dollars(units) : "\(units) tokens" }
                row["budget"] = "\(amount(status.spent)) spent, \(amount(status.reserved)) reserved of \(amount(budget.limit)) a \(budget.period.rawValue)"
            }
            rows.append(row)
        }
        return rows
    }

    private func job(_ context: APIRequestContext) async throws -> Response {
        try authorizeCaller(context)
        // A tenant sees its own queries only; another's id is not found, as on the API.
        guard let id = context.parameters.get("id").flatMap(JobID.init), let record = try await dependencies.store.job(id),
              dependencies.seesAll(context) || record.tenant == context.tenant
        else { throw APIError.notFound() }
        let shown = try await dependencies.presented(record)
        var values: [String: Any] = [
            "id": shown.id.rawValue, "status": shown.status.rawValue, "tenant": shown.tenant ?? "-", "created": QueryView.iso(shown.createdAt),
            "attempts": shown.attempts, "maxAttempts": shown.maxAttempts, "question": Self.question(of: shown) ?? "(not a query: \(shown.kind))",
            "cancellable": !shown.status.isTerminal && dependencies.seesAll(context),
            "retryable": shown.status == .failed && dependencies.seesAll(context),
            "hasTimings": !shown.timings.isEmpty,
            "timings": shown.timings.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": Self.number($0.value)] as [String: Any] },
        ]
        values["hasHistory"] = !shown.history.isEmpty
        values["history"] = shown.history.map { step -> [String: Any] in
            ["at": QueryView.iso(step.at), "after": Self.seconds(max(0, step.at.timeIntervalSince(shown.createdAt))), "what": step.what, "text": Self.describe(step)]
        }
        if let started = shown.startedAt { values["started"] = QueryView.iso(started) }
        if let ended = shown.endedAt { values["ended"] = QueryView.iso(ended) }
        if shown.crashes > 0 { values["crashes"] = shown.crashes }
        if shown.operatorRetries > 0 { values["operatorRetries"] = shown.operatorRetries }
        if let worker = shown.workerID { values["worker"] = worker }
        if let source = shown.cachedFrom { values["cachedFrom"] = source.rawValue }
        if let similarity = shown.similarity { values["similarity"] = String(format: "%.4f", similarity) }
        if let leader = shown.coalescedWith { values["coalescedWith"] = leader.rawValue }
        if shown.usage[JobUsage.costMicroUSD] > 0 { values["cost"] = Self.dollars(shown.usage[JobUsage.costMicroUSD]) }
        if let error = shown.error, shown.status == .failed || shown.status == .scheduled {
            values["error"] = ["code": error.code, "message": error.message] as [String: Any]
        }
        if shown.status == .finished, let result = shown.result, let answer = try? JSONDecoder().decode(RAGAnswer.self, from: Data(result)) {
            values["answer"] = answer.answer
            values["hasSources"] = !answer.sources.isEmpty
            values["sources"] = answer.sources.map { source -> [String: Any] in
                var fields: [String: Any] = [
                    "source": source.source ?? source.id, "score": String(format: "%.3f", source.score), "excerpt": source.excerpt,
                ]
                if let page = source.pageLabel ?? source.page.map(String.init) { fields["page"] = page }
                return fields
            }
        }
        let body = Self.render("job", values)
        return Self.html(Self.render("layout", ["title": "Query \(shown.id.rawValue)", "body": body]))
    }

    /// A step of a job's history in words.
    static func describe(_ step: JobRecord.Step) -> String {
        let details = step.details
        func detail(_ index: Int) -> String { index < details.count ? details[index] : "?" }
        switch step.what {
        case "created": return "submitted"
        case "follows": return "follows query \(detail(0)), the same question in flight"
        case "started": return "attempt \(detail(1)) started on worker \(detail(0))"
        case "scheduled":
            let at = Double(detail(1)).map { QueryView.iso(Date(timeIntervalSince1970: $0 / 1000)) } ?? detail(1)
            return "attempt failed (\(detail(0))); retry at \(at)"
        case "queued": return details.first == "retry_due" ? "back in the queue: its retry is due" : "back in the queue"
        case "released": return "handed back by its worker (shutdown); the attempt does not count"
        case "lease_expired": return "worker \(detail(0)) stopped renewing its lease"
        case "worker_crashed": return "worker \(detail(0)) died holding it; the attempt does not count"
        case "cancel_requested": return "cancel requested; its worker stops at its next step"
        case "retried_by_operator": return "retried by an operator"
        case "finished":
            if details.first == "cached_from" { return "answered from the cache (query \(detail(1)))" }
            if details.first == "with_leader" { return "finished with query \(detail(1))" }
            return "finished"
        case "failed": return details.first == "with_leader" ? "failed with query \(detail(1))" : "failed (\(detail(0)))"
        case "canceled": return details.first == "with_leader" ? "canceled with query \(detail(1))" : "canceled"
        default: return ([step.what] + details).joined(separator: " ")
        }
    }

    /// An operator's action on a job (`POST /ui/jobs/{id}/cancel`, `.../retry`), from a page of
    /// this dashboard: does it, then shows the job again. A job that cannot take it (a retry of a job
    /// that did not fail) is 409.
    private func act(
        _ request: Request, _ context: APIRequestContext, _ action: (any JobStore, JobID) async throws(QueueError) -> Void
    ) async throws -> Response {
        try authorize(context)
        try Self.checkSameOrigin(request)
        guard let id = context.parameters.get("id").flatMap(JobID.init), try await dependencies.store.job(id) != nil else {
            throw APIError.notFound()
        }
        try await action(dependencies.store, id)
        return Response(status: .seeOther, headers: [.location: "/ui/jobs/\(id.rawValue)", .cacheControl: "no-store"])
    }

    /// Refuses a browser's request sent from another site: its `Sec-Fetch-Site` is not
    /// `same-origin`, or (from a browser that sends none) its `Origin` names another host than the
    /// request's. A client that is no browser sends neither and is not refused: forging a request
    /// needs a victim's browser.
    static func checkSameOrigin(_ request: Request) throws {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!] {
            guard site == "same-origin" else { throw APIError.forbidden("dashboard actions come from the dashboard's own pages") }
            return
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            guard let url = URL(string: origin), let originHost = url.host(percentEncoded: false),
                  host == originHost || host == "\(originHost):\(url.port.map(String.init) ?? "")"
            else { throw APIError.forbidden("dashboard actions come from the dashboard's own pages") }
        }
    }

    // MARK: Rendering

    /// Headers of every page: only this server's script and style, no framing, no referrer to other sites, no caching.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        // Not no-referrer: with it a browser sends `Origin: null` on the dashboard's own forms.
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    static func html(_ text: String) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = securityHeaders
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func render(_ template: String, _ values: [String: Any]) -> String {
        DashboardTemplates.library.render(values, withTemplate: template) ?? ""
    }

    static func question(of record: JobRecord) -> String? {
        (try? RAGQuery(json: record.payload))?.query
    }

    static func clipped(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length)) + "…"
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.1f s", value)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.3f", value)
    }

    static func dollars(_ microUSD: Int64) -> String {
        String(format: "$%.4f", Double(microUSD) / 1_000_000)
    }
}
