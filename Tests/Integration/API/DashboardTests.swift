import Foundation
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// `/ui/`: the operators' dashboard over HTTP, on a real Valkey.
@Suite("Dashboard", .timeLimit(.minutes(2)))
struct DashboardTests {
    static let operatorKey = "operator-key-0123456789"
    static let admin: HTTPClientHeaders = ["Authorization": "Basic " + Data("ops:\(operatorKey)".utf8).base64EncodedString()]
    static let tenant: HTTPClientHeaders = ["X-API-Key": APISecurityTests.alice]

    static func withDashboard<T: Sendable>(worker: Bool = false, _ body: (APIHarness) async throws -> T) async throws -> T {
        try await withAPI(worker: worker, configure: {
            $0.apiKeys = [APISecurityTests.alice: "tenant-a"]
            $0.adminKeys = [operatorKey]
        }, body)
    }

    /// The number a page shows in the element marked `attribute="name"`.
    static func shown(_ html: String, _ attribute: String, _ name: String) -> String? {
        guard let start = html.range(of: "\(attribute)=\"\(name)\">") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "<" })
    }

    @Test("no key is 401 with a challenge a browser answers; a tenant's key is 403; an operator's key sees the pages, each with its security headers")
    func access() async throws {
        try await Self.withDashboard { api in
            let anonymous = try await api.send(.get, "/ui/")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["WWW-Authenticate"]?.contains("Basic realm=") == true)
            #expect(try await api.send(.get, "/ui/", headers: Self.tenant).status == 403)
            for path in ["/ui/", "/ui/overview", "/ui/app.js", "/ui/style.css"] {
                let response = try await api.send(.get, path, headers: Self.admin)
                #expect(response.status == 200, "\(path)")
                let policy = response.headers["Content-Security-Policy"] ?? ""
                #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"), "\(path): \(policy)")
                #expect(response.headers["X-Content-Type-Options"] == "nosniff")
            }
            let page = try await api.send(.get, "/ui/", headers: Self.admin)
            #expect(page.headers["Content-Type"]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"<script src="/ui/app.js" defer></script>"#) && page.text.contains(#"data-refresh="/ui/overview""#))
        }
    }

    @Test("the overview shows the queue's numbers as /v1/stats has them, and its tenants")
    func numbersMatchStats() async throws {
        try await Self.withDashboard { api in
            for number in 0..<3 { _ = try await api.submit("question \(number)", headers: Self.tenant) }
            let stats = try await api.send(.get, "/v1/stats", headers: Self.admin).json
            let html = try await api.send(.get, "/ui/overview", headers: Self.admin).text
            for name in ["waiting", "active", "scheduled", "failed", "live_workers", "expired_leases"] {
                #expect(Self.shown(html, "data-stat", name) == stats[name]?.intValue.map(String.init), "\(name)")
            }
            #expect(Self.shown(html, "data-stat", "waiting") == "3")
            #expect(Self.shown(html, "data-counter", "enqueued") == stats["counters"]?["enqueued"]?.intValue.map(String.init))
            #expect(html.contains(#"data-tenant="tenant-a""#))
            for chart in ["throughput", "total", "wait"] { #expect(html.contains(#"<svg class="chart" data-chart="\#(chart)""#)) }
        }
    }

    @Test("a question with markup is shown as text on its page; the page shows the answer and its sources")
    func jobPageEscapes() async throws {
        try await Self.withDashboard(worker: true) { api in
            let hostile = #"<script>alert("x")</script> & <b>bold</b>"#
            let body = String(decoding: try JSONEncoder().encode(["query": hostile]), as: UTF8.self)
            let submitted = try await api.send(.post, "/v1/queries", headers: Self.tenant, body: body)
            let id = try #require(submitted.json["id"]?.stringValue)
            #expect(try await api.send(.get, "/v1/queries/\(id)?wait=20", headers: Self.tenant).json["status"] == .string("finished"))
            let page = try await api.send(.get, "/ui/jobs/\(id)", headers: Self.admin).text
            #expect(!page.contains("<script>alert") && !page.contains("<b>bold"), "markup must not survive")
            #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"), "\(page)")
            #expect(Self.shown(page, "data-field", "status") == "finished")
            #expect(page.contains(#"data-field="answer">answer to: &lt;script&gt;"#))
            let steps = page.components(separatedBy: #"<tr data-step=""#).dropFirst().map { String($0.prefix { $0 != "\"" }) }
            #expect(steps == ["created", "started", "finished"], "the timeline: \(steps)")
            #expect(try await api.send(.get, "/ui/jobs/\(JobID())", headers: Self.admin).status == 404)
        }
    }

    @Test("cancel from the job page ends a waiting query; the same POST from another site is refused and changes nothing")
    func cancelFromPage() async throws {
        try await Self.withDashboard { api in
            let id = try await api.submit("cancel me", headers: Self.tenant)
            let jobID = try #require(JobID(id))
            #expect(try await api.send(.get, "/ui/jobs/\(id)", headers: Self.admin).text.contains(#"action="/ui/jobs/\#(id)/cancel""#))
            var foreign = Self.admin
            foreign.add(name: "Origin", value: "http://evil.example")
            #expect(try await api.send(.post, "/ui/jobs/\(id)/cancel", headers: foreign).status == 403)
            var crossSite = Self.admin
            crossSite.add(name: "Sec-Fetch-Site", value: "cross-site")
            #expect(try await api.send(.post, "/ui/jobs/\(id)/cancel", headers: crossSite).status == 403)
            #expect(try await api.queue.store.job(jobID)?.status == .queued)
            #expect(try await api.send(.post, "/ui/jobs/\(id)/cancel", headers: Self.tenant).status == 403)

            var own = Self.admin
            own.add(name: "Origin", value: api.baseURL)
            own.add(name: "Sec-Fetch-Site", value: "same-origin")
            let canceled = try await api.send(.post, "/ui/jobs/\(id)/cancel", headers: own)
            #expect(canceled.status == 303 && canceled.headers["Location"] == "/ui/jobs/\(id)")
            #expect(try await api.queue.store.job(jobID)?.status == .canceled)
        }
    }

    @Test("retry from the job page puts a failed query back in the queue; a query that did not fail is 409, a tenant's key 403, another site's POST refused")
    func retryFromPage() async throws {
        try await Self.withDashboard { api in
            let id = try await api.submit("retry me", headers: Self.tenant)
            let jobID = try #require(JobID(id))
            var own = Self.admin
            own.add(name: "Sec-Fetch-Site", value: "same-origin")
            let early = try await api.send(.post, "/ui/jobs/\(id)/retry", headers: own)
            #expect(early.status == 409 && early.json["error"]?["code"] == .string("conflict"), "a waiting query cannot be retried")
            #expect(!(try await api.send(.get, "/ui/jobs/\(id)", headers: Self.admin).text.contains("/retry")))

            // A worker fails it for good.
            let claimed = try #require(try await api.queue.store.claim(workerID: "w", count: 1).jobs.first)
            let failure = JobFailure(code: "collection_not_found", message: "no collection docs", transient: false)
            #expect(try await api.queue.store.fail(claimed.lease, failure: failure, retryAtMilliseconds: 0, timings: [:]) == .failed)
            let failedPage = try await api.send(.get, "/ui/jobs/\(id)", headers: Self.admin).text
            #expect(failedPage.contains(#"action="/ui/jobs/\#(id)/retry""#) && failedPage.contains("collection_not_found"))
            #expect(!(try await api.send(.get, "/ui/jobs/\(id)", headers: Self.tenant).text.contains("/retry")), "no actions for tenants")
            #expect(Self.shown(try await api.send(.get, "/ui/overview", headers: Self.admin).text, "data-failure", "collection_not_found") == "1")

            var crossSite = Self.admin
            crossSite.add(name: "Sec-Fetch-Site", value: "cross-site")
            #expect(try await api.send(.post, "/ui/jobs/\(id)/retry", headers: crossSite).status == 403)
            #expect(try await api.send(.post, "/ui/jobs/\(id)/retry", headers: Self.tenant).status == 403)
            #expect(try await api.queue.store.job(jobID)?.status == .failed)

            let retried = try await api.send(.post, "/ui/jobs/\(id)/retry", headers: own)
            #expect(retried.status == 303 && retried.headers["Location"] == "/ui/jobs/\(id)")
            let record = try #require(try await api.queue.store.job(jobID))
            #expect(record.status == .queued && record.operatorRetries == 1)
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: Self.tenant).json["status"] == .string("queued"))
            #expect(try await api.send(.get, "/ui/jobs/\(id)", headers: Self.admin).text.contains("retried by an operator 1×"))
        }
    }

    @Test("POST /v1/queries/{id}/retry is for operators: 202 with the query queued again, 409 unless it failed, 403 for its own tenant")
    func retryThroughTheAPI() async throws {
        try await Self.withDashboard { api in
            let id = try await api.submit("retry me through the API", headers: Self.tenant)
            let early = try await api.send(.post, "/v1/queries/\(id)/retry", headers: Self.admin)
            #expect(early.status == 409 && early.json["error"]?["code"] == .string("conflict"))
            let claimed = try #require(try await api.queue.store.claim(workerID: "w", count: 1).jobs.first)
            let failure = JobFailure(code: "backend_error", message: "500 from the model", transient: false)
            _ = try await api.queue.store.fail(claimed.lease, failure: failure, retryAtMilliseconds: 0, timings: [:])
            #expect(try await api.send(.post, "/v1/queries/\(id)/retry", headers: Self.tenant).status == 403)
            #expect(try await api.send(.post, "/v1/queries/\(JobID())/retry", headers: Self.admin).status == 404)
            let retried = try await api.send(.post, "/v1/queries/\(id)/retry", headers: Self.admin)
            #expect(retried.status == 202 && retried.json["status"] == .string("queued") && retried.json["id"] == .string(id))
            #expect(try await api.send(.get, "/v1/queries/\(id)", headers: Self.tenant).json["status"] == .string("queued"))
        }
    }

    @Test("the jobs page lists recent jobs newest first, filters them by status, tenant and text, pages on with Older, and refuses a bad filter")
    func jobsPage() async throws {
        try await withAPI(configure: {
            $0.apiKeys = [APISecurityTests.alice: "tenant-a", APISecurityTests.bob: "tenant-b"]
            $0.adminKeys = [Self.operatorKey]
        }) { api in
            var ids: [String] = []
            for number in 0..<55 {
                let key = number % 5 == 0 ? APISecurityTests.bob : APISecurityTests.alice
                ids.append(try await api.submit(number == 7 ? "Where is the <b>lease</b> kept?" : "question \(number)", headers: ["X-API-Key": key]))
            }
            #expect(try await api.send(.get, "/ui/jobs", headers: Self.tenant).status == 403)
            func listed(_ html: String) -> [String] {
                html.components(separatedBy: #"<tr data-job=""#).dropFirst().map { String($0.prefix { $0 != "\"" }) }
            }
            func older(_ html: String) -> String? {
                guard let match = html.range(of: #"href="[^"]*" rel="next""#, options: .regularExpression) else { return nil }
                return String(html[match].dropFirst(6).prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            }
            let first = try await api.send(.get, "/ui/jobs", headers: Self.admin).text
            #expect(listed(first) == Array(ids.reversed().prefix(50)), "newest first, 50 a page")
            let next = try #require(older(first))
            let second = try await api.send(.get, next, headers: Self.admin).text
            #expect(listed(second) == Array(ids.reversed().dropFirst(50)))
            if let last = older(second) {
                #expect(listed(try await api.send(.get, last, headers: Self.admin).text).isEmpty, "nothing older than the first job")
            }

            let bobs = listed(try await api.send(.get, "/ui/jobs?tenant=tenant-b", headers: Self.admin).text)
            #expect(bobs == ids.enumerated().filter { $0.offset % 5 == 0 }.map(\.element).reversed())
            let found = try await api.send(.get, "/ui/jobs?text=LEASE%3C%2Fb", headers: Self.admin).text
            #expect(listed(found) == [ids[7]])
            #expect(found.contains("Where is the &lt;b&gt;lease&lt;/b&gt; kept?") && found.contains(#"value="LEASE&lt;/b""#), "escaped, filter kept in the form")
            #expect(listed(try await api.send(.get, "/ui/jobs?status=finished", headers: Self.admin).text).isEmpty)
            #expect(listed(try await api.send(.get, "/ui/jobs?status=queued&tenant=tenant-b", headers: Self.admin).text).count == 11)
            for bad in ["/ui/jobs?status=lost", "/ui/jobs?after=nonsense"] {
                let refused = try await api.send(.get, bad, headers: Self.admin)
                #expect(refused.status == 400 && refused.json["error"]?["code"] == .string("bad_request"), "\(bad)")
            }
        }
    }

    @Test("the ask page is for tenants too, with the deployment's collection and top_k; a tenant sees its own query pages only, without actions")
    func askAndTenantPages() async throws {
        try await Self.withDashboard { api in
            #expect(try await api.send(.get, "/ui/ask").status == 401)
            let page = try await api.send(.get, "/ui/ask", headers: Self.tenant)
            #expect(page.status == 200)
            #expect(page.text.contains(#"<form id="ask""#) && page.text.contains(#"value="\#(QueryRules().defaultCollection)""#))
            #expect(page.text.contains(#"<option value="\#(QueryRules().defaultTopK)" selected>"#))
            #expect(try await api.send(.get, "/ui/app.js", headers: Self.tenant).status == 200, "the ask page's script")

            let own = try await api.submit("mine", headers: Self.tenant)
            let ownPage = try await api.send(.get, "/ui/jobs/\(own)", headers: Self.tenant)
            #expect(ownPage.status == 200 && ownPage.text.contains(#"data-field="question">mine<"#))
            #expect(!ownPage.text.contains("/cancel"), "actions are an operator's")
            let other = try await api.queue.store.enqueue(
                EnqueueRequest(kind: RAGQuery.kind, payload: RAGQuery(query: "theirs").json, tenant: "tenant-b")
            ).id
            #expect(try await api.send(.get, "/ui/jobs/\(other)", headers: Self.tenant).status == 404)
            #expect(try await api.send(.get, "/ui/jobs/\(other)", headers: Self.admin).status == 200)
        }
    }

    @Test("an API without keys has an open dashboard, as its API is open")
    func openWithoutKeys() async throws {
        let status = try await withAPI { api in try await api.send(.get, "/ui/").status }
        #expect(status == 200)
    }
}
