import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// Results POSTed to `callback_url`, signed, and retried after a failure.
@Suite("API webhooks", .timeLimit(.minutes(2)))
struct APIWebhookTests {
    @Test("The result is POSTed to the callback URL with a valid signature, after a failed first attempt")
    func signedDeliveryWithRetry() async throws {
        let (deliveries, deliveryContinuation) = AsyncStream.makeStream(of: (signature: String?, body: [UInt8]).self)
        let router = Router(context: LoopbackRequestContext.self)
        let attempts = Counter()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            if attempts.next() == 1 { return Response(status: .internalServerError) }
            deliveryContinuation.yield((request.headers[HTTPField.Name("RAGQueue-Signature")!], Array(buffer: body)))
            return Response(status: .noContent)
        }
        try await withLoopbackServer(router) { hookURL in
            try await withAPI(worker: true, configure: {
                $0.webhooks.allowedHosts = ["127.0.0.1"]
                $0.webhooks.signingSecret = "whsec-test"
                $0.webhooks.initialBackoff = .milliseconds(50)
            }) { api in
                let id = try await api.submit("call me back", extra: #""callback_url":"\#(hookURL)/hook""#)
                let delivery = try #require(await first(of: deliveries, within: .seconds(20)))
                let signature = try #require(delivery.signature)
                #expect(WebhookSignature.verify(header: signature, body: delivery.body, secret: "whsec-test", now: Int64(Date().timeIntervalSince1970)))
                #expect(!WebhookSignature.verify(header: signature, body: delivery.body + [32], secret: "whsec-test", now: Int64(Date().timeIntervalSince1970)))
                let payload = try JSONDecoder().decode(JSONValue.self, from: Data(delivery.body))
                #expect(payload["type"] == .string("query.ended"))
                #expect(payload["query"]?["id"] == .string(id))
                #expect(payload["query"]?["status"] == .string("finished"))
                #expect(attempts.value == 2)
            }
        }
    }

    @Test("A delivery cut short by a dying API process is made by another, once")
    func deliveryTakenOverAfterCrash() async throws {
        let (firstAttempts, firstAttemptContinuation) = AsyncStream.makeStream(of: Void.self)
        let (deliveries, deliveryContinuation) = AsyncStream.makeStream(of: [UInt8].self)
        let router = Router(context: LoopbackRequestContext.self)
        let attempts = Counter()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            if attempts.next() == 1 {
                firstAttemptContinuation.yield()
                return Response(status: .serviceUnavailable)
            }
            deliveryContinuation.yield(Array(buffer: body))
            return Response(status: .noContent)
        }
        try await withLoopbackServer(router) { hookURL in
            try await withQueue { queue in
                let http = try CurlHTTPClient()
                var webhooks = APIConfiguration.Webhooks()
                webhooks.timeout = .seconds(1)
                // The dying process waits 5 s to retry: it is stopped well inside that wait, even on a
                // loaded machine (a retry it made first would be a second delivery, as at least once
                // allows, but not what this test is about). The delivery lock: 1 + 5 + 1 s.
                webhooks.initialBackoff = .seconds(5)
                webhooks.maximumBackoff = .seconds(5)
                func dispatcher() -> WebhookDispatcher {
                    WebhookDispatcher(
                        store: queue.store, configuration: webhooks, httpClient: http,
                        metrics: APIMetrics(), logger: testLogger("webhooks"), sweepInterval: .milliseconds(100)
                    )
                }
                let query = RAGQuery(query: "call me back", callbackURL: "\(hookURL)/hook")
                let id = try await queue.store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: query.json)).id
                let dying = dispatcher()
                let dyingRun = Task { try await dying.run() }
                await dying.track(id)
                let claimed = try #require(try await queue.store.claim(workerID: "w", count: 1).jobs.first)
                try await queue.store.complete(claimed.lease, result: Array("{}".utf8), timings: [:])

                // The first attempt fails; the process "dies" while it waits to retry.
                #expect(await first(of: firstAttempts, within: .seconds(20)) != nil)
                dyingRun.cancel()
                _ = await dyingRun.result
                #expect(try await queue.store.pendingDeliveries().contains(id), "still pending")

                let survivor = dispatcher()
                let survivorRun = Task { try await survivor.run() }
                let delivered = await first(of: deliveries, within: .seconds(20))
                let body = try #require(delivered, "the survivor delivered after the dead process's lock expired")
                #expect(try JSONDecoder().decode(JSONValue.self, from: Data(body))["query"]?["id"] == .string(id.rawValue))
                try await eventually("the delivery to leave the pending set") {
                    try await !queue.store.pendingDeliveries().contains(id)
                }
                survivorRun.cancel()
                _ = await survivorRun.result
                #expect(attempts.value == 2, "one failed attempt, one delivery")
                #expect(
                    try await !queue.store.holdDelivery(id, owner: "another process", lease: .seconds(1)),
                    "a delivered job cannot be held for delivery again"
                )
                await http.shutdown()
            }
        }
    }

    /// A thread-safe counter of calls.
    final class Counter: Sendable {
        private let count = Mutex(0)
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
        var value: Int { count.withLock { $0 } }
    }
}

/// The first element of `stream`, or nil after `timeout`.
func first<Element: Sendable>(of stream: AsyncStream<Element>, within timeout: Duration) async -> Element? {
    await withTaskGroup(of: Element?.self) { group in
        group.addTask { for await element in stream { return element }; return nil }
        group.addTask { try? await Task.sleep(for: timeout); return nil }
        let result = await group.next() ?? nil
        group.cancelAll()
        return result
    }
}
