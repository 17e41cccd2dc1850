import FakeBackends
import Foundation
import Logging
import Testing

@testable import RAGQueue

/// Paced model calls against the fake OpenAI server holding a per-minute limit, with the budget
/// shared through a real Valkey.
@Suite("Provider pacing against a rate-limited provider")
struct ProviderPacingTests {
    @Test("many callers sharing one budget through Valkey meet almost no 429s, learned or configured", arguments: [true, false])
    func fewRefusals(configured: Bool) async throws {
        // 600 requests a minute, ten a second: 700 calls are a full minute's burst and ten seconds more.
        var fake = FakeOpenAIServer.Configuration(seed: 3)
        fake.modelRateLimits["gpt-4.1-mini"] = RateLimits(requestsPerMinute: 600, tokensPerMinute: 600_000)
        try await withQueue { harness in
            try await withOpenAI(fake) { openAI in
                let http = try CurlHTTPClient()
                let limits = configured ? ProviderLimits(requestsPerMinute: 600, tokensPerMinute: 600_000) : ProviderLimits()
                // Two "worker processes": two stores, two pacers, one budget.
                let stores = [harness.store, try harness.secondStore()]
                let models = stores.map { store in
                    let pacer = ProviderPacer(model: "gpt-4.1-mini", limits: limits, store: store, logger: testLogger("pacer"))
                    let client = OpenAIChatModel(
                        endpoint: OpenAIEndpoint(apiKey: "sk-test", baseURL: openAI.baseURL), configuration: .init(model: "gpt-4.1-mini"),
                        httpClient: http, observer: { pacer.observe($0) }
                    )
                    return PacedChatModel(client, pacer: pacer)
                }
                let refused = try await withThrowingTaskGroup(of: Int.self) { group in
                    for caller in 0..<32 {
                        group.addTask {
                            var refused = 0
                            for call in 0..<22 {
                                do {
                                    _ = try await models[caller % 2].complete([.user("question \(caller)-\(call)")])
                                } catch let error as BackendError where error.code == .rateLimited {
                                    refused += 1
                                }
                            }
                            return refused
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let counters = openAI.counters.snapshot()
                let calls = counters.requests[.chatCompletions, default: 0]
                #expect(calls >= 704)
                #expect(Double(counters.rateLimited[.chatCompletions, default: 0]) < Double(calls) * 0.01, "provider 429s under 1%")
                #expect(refused == counters.rateLimited[.chatCompletions, default: 0])
                stores[1].close()
                await http.shutdown()
            }
        }
    }
}
