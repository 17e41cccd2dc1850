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
