import FakeBackends
import Foundation
import NIOCore
import RAGQueue
import RAGQueueTestSupport
import Testing

@Suite("Fakes: faults, rate limits, latency and counters")
struct FakesFaultTests {
    static let embedBody = #"{"model":"text-embedding-3-small","input":"hello"}"#

    @Test("X-Fake-Fault answers with the status and the service's canonical body and retry headers")
    func headerFaults() async throws {
        try await withOpenAI { (server) async throws in
            let limited = try await RawHTTP.openAI(
                server.port, "POST", "/v1/embeddings", body: Self.embedBody,
                headers: [("X-Fake-Fault", "429"), ("X-Fake-Retry-After-Ms", "1500")])
            #expect(limited.status == 429)
            #expect(try openAIError(limited)["code"] as? String == "rate_limit_exceeded")
            #expect(limited.header("retry-after") == "2")
            #expect(limited.header("retry-after-ms") == "1500")
            let broken = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: Self.embedBody, headers: [("X-Fake-Fault", "500")])
            #expect(broken.status == 500)
            #expect(try openAIError(broken)["type"] as? String == "server_error")
            let busy = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: Self.embedBody, headers: [("X-Fake-Fault", "503")])
            #expect(busy.status == 503)
            #expect(busy.header("retry-after") == "1")
            let counts = server.counters.snapshot()
            #expect(counts.faults(.embeddings) == 3)
            #expect(counts.faultsByKind[.tooManyRequests] == 1)
        }
        try await withQdrant { (server) async throws in
            let response = try await qdrant(
                server, "GET", "/collections", headers: [("X-Fake-Fault", "429"), ("X-Fake-Retry-After-Ms", "2100")])
            #expect(response.status == 429)
            #expect(response.response.header("retry-after") == "3")
            #expect(qdrantError(response.body).hasPrefix("Too many requests"))
            let failed = try await qdrant(server, "GET", "/collections", headers: [("X-Fake-Fault", "500")])
            #expect(failed.status == 500)
            #expect(qdrantError(failed.body).hasPrefix("Service internal error"))
        }
    }

    @Test("X-Fake-Fault-Times with a key fails only the first n requests carrying that key")
    func faultTimes() async throws {
        try await withOpenAI { (server) async throws in
            var statuses = [Int]()
            for _ in 0..<4 {
                let response = try await RawHTTP.openAI(
                    server.port, "POST", "/v1/embeddings", body: Self.embedBody,
                    headers: [("X-Fake-Fault", "503"), ("X-Fake-Fault-Times", "2"), ("X-Fake-Fault-Key", "retry-test")])
                statuses.append(response.status)
            }
            #expect(statuses == [503, 503, 200, 200])
            let other = try await RawHTTP.openAI(
                server.port, "POST", "/v1/embeddings", body: Self.embedBody,
                headers: [("X-Fake-Fault", "503"), ("X-Fake-Fault-Times", "1"), ("X-Fake-Fault-Key", "another")])
            #expect(other.status == 503)
        }
    }

    @Test("a reset fault drops the connection without an answer; a timeout fault holds, then drops")
    func connectionFaults() async throws {
        var plan = FaultPlan<FakeQdrantServer.Endpoint>()
        plan.timeoutHold = .milliseconds(300)
        try await withQdrant(.init(faults: plan)) { (server) async throws in
            await #expect(throws: (any Error).self) {
                let response = try await RawHTTP.send(port: server.port, "GET", "/collections", headers: [("X-Fake-Fault", "reset")])
                Issue.record("got a response: \(response.status)")
            }
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                _ = try await RawHTTP.send(port: server.port, "GET", "/collections", headers: [("X-Fake-Fault", "timeout")])
            }
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(server.counters.snapshot().faultsByKind[.connectionReset] == 1)
            #expect(server.counters.snapshot().faultsByKind[.timeout] == 1)
            // The server still serves after dropping connections.
            #expect(try await qdrant(server, "GET", "/collections").status == 200)
        }
    }

    @Test("the plan's first N requests fail, then requests succeed")
    func failFirst() async throws {
        let plan = FaultPlan<FakeOpenAIServer.Endpoint>(perEndpoint: [.embeddings: .init(failFirst: 2, failFirstKind: .internalServerError)])
        try await withOpenAI(.init(faults: plan)) { (server) async throws in
            var statuses = [Int]()
            for _ in 0..<3 {
                statuses.append(try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: Self.embedBody).status)
            }
            #expect(statuses == [500, 500, 200])
            #expect(try await RawHTTP.openAI(server.port, "GET", "/v1/models").status == 200)
        }
    }

    @Test("a fault plan set while the server runs applies at once, and nil restores the configured one")
    func faultsSwitchedAtRuntime() async throws {
        try await withOpenAI(.init()) { (server) async throws in
            let embed = { try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: Self.embedBody).status }
            #expect(try await embed() == 200)
            server.setFaults(FaultPlan(default: .init(serviceUnavailable: 1)))
            #expect(try await embed() == 503)
            #expect(try await embed() == 503)
            server.setFaults(nil)
            #expect(try await embed() == 200)
            #expect(server.counters.snapshot().faultsByKind[.serviceUnavailable] == 2)
        }
    }

    @Test("planned faults are drawn from the seed: same seed, same faults; they occur at about the set rate")
    func seededFaults() async throws {
        func run(seed: UInt64) async throws -> [Int] {
            let plan = FaultPlan<FakeQdrantServer.Endpoint>(default: .init(tooManyRequests: 0.2, serviceUnavailable: 0.2))
            return try await withQdrant(.init(seed: seed, faults: plan)) { (server) async throws in
                var statuses = [Int]()
                for index in 0..<60 {
                    statuses.append(try await qdrant(server, "GET", "/collections/c\(index % 3)/exists").status)
                }
                return statuses
            }
        }
        let first = try await run(seed: 7)
        let second = try await run(seed: 7)
        let other = try await run(seed: 8)
        #expect(first == second)
        #expect(first != other)
        let failures = first.filter { $0 != 200 }.count
        #expect((10...38).contains(failures), "\(failures) of 60 failed")
        #expect(Set(first).isSubset(of: [200, 429, 503]))
    }

    @Test("token buckets refuse with 429, an honest Retry-After and x-ratelimit headers")
    func rateLimits() async throws {
        try await withOpenAI(.init(rateLimits: .init(requestsPerMinute: 2))) { (server) async throws in
            let start = ContinuousClock.now
            #expect(try await RawHTTP.openAI(server.port, "GET", "/v1/models").status == 200)
            #expect(try await RawHTTP.openAI(server.port, "GET", "/v1/models").status == 200)
            let refused = try await RawHTTP.openAI(server.port, "GET", "/v1/models")
            #expect(refused.status == 429)
            #expect(try openAIError(refused)["type"] as? String == "requests")
            #expect(try openAIError(refused)["code"] as? String == "rate_limit_exceeded")
            let retryMs = try #require(Int(refused.header("retry-after-ms") ?? ""))
            // Two requests per minute refill one every 30 s, counted from the first request: the
            // wait is 30 s less the time these three took, however long that was.
            let elapsed = ContinuousClock.now - start
            let tookMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            #expect((30_000 - tookMs - 50...30_000).contains(retryMs), "\(retryMs) ms after \(tookMs) ms")
            #expect(refused.header("retry-after") == String((retryMs + 999) / 1000))
            #expect(refused.header("x-ratelimit-remaining-requests") == "0")
            #expect(server.counters.snapshot().rateLimited[.listModels] == 1)
        }
        try await withOpenAI(.init(rateLimits: .init(tokensPerMinute: 10))) { (server) async throws in
            let long = #"{"model":"text-embedding-3-small","input":"\#(String(repeating: "word ", count: 7))"}"#
            #expect(try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: long).status == 200)
            let refused = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: long)
            #expect(refused.status == 429)
            #expect(try openAIError(refused)["type"] as? String == "tokens")
        }
        try await withQdrant(.init(rateLimits: .init(requestsPerMinute: 1))) { (server) async throws in
            #expect(try await qdrant(server, "GET", "/collections").status == 200)
            let refused = try await qdrant(server, "GET", "/collections")
            #expect(refused.status == 429)
            #expect(Int(refused.response.header("retry-after") ?? "") != nil)
        }
    }

    @Test("latency delays answers, and a stream sends its tokens at the per-token pace")
    func latency() async throws {
        let profile = LatencyProfile<FakeOpenAIServer.Endpoint>(
            perEndpoint: [.embeddings: .fixed(.milliseconds(150))], perOutputToken: .milliseconds(40))
        try await withOpenAI(.init(latency: profile)) { (server) async throws in
            let started = ContinuousClock.now
            #expect(try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: Self.embedBody).status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(150))

            let stream = try await RawHTTP.openAI(
                server.port, "POST", "/v1/chat/completions",
                body: #"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"one two three"}]}"#)
            let tokens = FakeChatModel.tokens(of: FakeChatModel.answer(to: [.init(role: "user", content: "one two three")]))
            let first = try #require(stream.arrivals.first)
            let last = try #require(stream.arrivals.last)
            #expect(last - first >= 0.04 * Double(tokens.count - 1))
            #expect(stream.arrivals.count > 2, "the stream arrived in one piece")
        }
    }

    @Test("a concurrency limit makes extra requests wait, as at a saturated provider")
    func concurrencyLimit() async throws {
        let profile = LatencyProfile<FakeQdrantServer.Endpoint>(default: .fixed(.milliseconds(200)))
        try await withQdrant(.init(latency: profile, concurrencyLimit: 1)) { (server) async throws in
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await qdrant(server, "GET", "/collections").status }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(ContinuousClock.now - started >= .milliseconds(600))
        }
    }

    @Test("latency draws are seeded: the same seed gives the same delays")
    func latencySamples() {
        var a = SeededRandom(mixing: 1, 2, 3)
        var b = SeededRandom(mixing: 1, 2, 3)
        let distributions: [LatencyDistribution] = [
            .uniform(min: .milliseconds(10), max: .milliseconds(20)),
            .normal(mean: .milliseconds(50), standardDeviation: .milliseconds(10)),
            .lognormal(median: .milliseconds(100), sigma: 0.5),
        ]
        for distribution in distributions {
            let first = (0..<50).map { _ in distribution.sample(using: &a) }
            let second = (0..<50).map { _ in distribution.sample(using: &b) }
            #expect(first == second)
            #expect(first.allSatisfy { $0 >= .zero })
            #expect(Set(first).count > 40)
        }
        var c = SeededRandom(seed: 9)
        let uniform = (0..<200).map { _ in LatencyDistribution.uniform(min: .milliseconds(10), max: .milliseconds(20)).sample(using: &c) }
        #expect(uniform.allSatisfy { $0 >= .milliseconds(10) && $0 <= .milliseconds(20) })
    }

    @Test("two servers with the same seed answer the same requests identically, request ids included")
    func determinism() async throws {
        func transcript(seed: UInt64) async throws -> [String] {
            try await withOpenAI(.init(seed: seed)) { (server) async throws in
                var lines = [String]()
                for body in [Self.embedBody, #"{"model":"text-embedding-3-large","input":["a b","c"],"encoding_format":"base64"}"#] {
                    let response = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: body)
                    lines.append((response.header("x-request-id") ?? "") + response.text)
                }
                return lines
            }
        }
        let first = try await transcript(seed: 3)
        #expect(first == (try await transcript(seed: 3)))
        #expect(first != (try await transcript(seed: 4)))
    }

    @Test("servers start on a given port and report it; a taken port is refused")
    func explicitPort() async throws {
        // Ports below the ephemeral range: no outgoing connection of a parallel test can take them.
        let port = try ValkeyServerProcess.freePort()
        let server = FakeQdrantServer(configuration: .init(port: port))
        try await server.start()
        #expect(server.port == port)
        #expect(server.baseURL == "http://127.0.0.1:\(port)")
        #expect(try !ValkeyServerProcess.isFree(port))
        await server.stop()

        let taken = try ValkeyServerProcess.freePort()
        let holder = FakeOpenAIServer(configuration: .init(port: taken))
        try await holder.start()
        #expect(holder.baseURL == "http://127.0.0.1:\(taken)/v1")
        let clash = FakeOpenAIServer(configuration: .init(port: taken))
        await #expect(throws: (any Error).self) { try await clash.start() }
        await holder.stop()
    }
}
