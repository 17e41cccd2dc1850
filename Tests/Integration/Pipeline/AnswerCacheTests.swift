import FakeBackends
import Foundation
import Testing

@testable import RAGQueue
import RAGQueueTestSupport

/// The answer cache on real Valkey, the fakes and a worker: a question answered once is answered
/// again without a model call, until its collection changes; tenants never share answers.
@Suite("Answer cache")
struct AnswerCacheTests {
    static let policy = AnswerCachePolicy(ttl: .seconds(600), chatModel: "gpt-4o-mini", promptVersion: "1")

    /// Enqueues `question` as `tenant` would through the API: validated, with its cache entry.
    static func ask(_ question: String, tenant: String? = nil, cache: Bool? = nil, stack: RAGStack) async throws -> EnqueueResult {
        let query = try RAGQuery(query: question, cache: cache).validated(by: stack.configuration.pipeline.rules)
        var request = EnqueueRequest(kind: RAGQuery.kind, payload: query.json, tenant: tenant)
        request.answerCache = policy.entry(for: query, tenant: tenant)
        return try await stack.harness.store.enqueue(request)
    }

    /// The environment of a `ragserve` child on the stack's queue, and nothing else configured.
    static func environment(_ stack: RAGStack) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in RAGQueueConfiguration.environmentVariables.map(\.name) { environment[name] = nil }
        environment["VALKEY_URL"] = stack.harness.server.url
        environment["RAGQ_PREFIX"] = stack.harness.configuration.prefix
        environment["RAGQ_QUEUE"] = stack.harness.configuration.name
        return environment
    }

    static func chatCalls(_ stack: RAGStack) -> Int {
        stack.openAI.counters.snapshot().requests[.chatCompletions] ?? 0
    }

    @Test("the same question again, once the first answer is stored: answered at submit, finished, no model call; cache: false runs it again")
    func hitAfterFinish() async throws {
        try await withRAGStack { stack in
            let first = try await Self.ask("How do honeybees  keep their hive COOL?", stack: stack)
            #expect(!first.cached)
            let answered = try await waitForEnd(first.id, harness: stack.harness)
            #expect(answered.status == .finished)
            let calls = Self.chatCalls(stack)
            #expect(calls == 1)

            // Spaces and case do not make another question.
            let second = try await Self.ask("how do honeybees keep their hive cool?", stack: stack)
            #expect(second.cached)
            let record = try #require(try await stack.harness.store.job(second.id))
            #expect(record.status == .finished, "answered at submit, with no worker")
            #expect(record.cachedFrom == first.id)
            #expect(record.result == answered.result)
            #expect(Self.chatCalls(stack) == calls, "no model call for a cached answer")
            let counters = try await stack.harness.store.stats().counters
            #expect(counters["cache_hits"] == 1)
            #expect((counters["cache_saved_micro_usd"] ?? 0) > 0, "the saved cost is the first answer's")

            let fresh = try await Self.ask("how do honeybees keep their hive cool?", cache: false, stack: stack)
            #expect(!fresh.cached)
            #expect(try await waitForEnd(fresh.id, harness: stack.harness).status == .finished)
            #expect(Self.chatCalls(stack) == calls + 1)
        }
    }

    @Test("an ingest into the collection between two equal questions: the second is answered afresh")
    func ingestRetires() async throws {
        try await withRAGStack { stack in
            let first = try await Self.ask("What do worker bees do?", stack: stack)
            _ = try await waitForEnd(first.id, harness: stack.harness)
            #expect(try await Self.ask("What do worker bees do?", stack: stack).cached)

            // What `ragserve ingest` does after writing the collection, through its command line.
            var environment = Self.environment(stack)
            environment["QDRANT_URL"] = stack.qdrant.baseURL
            environment["OPENAI_API_KEY"] = "sk-test-ingest"
            environment["OPENAI_BASE_URL"] = stack.openAI.baseURL
            environment["RAGQ_ANSWER_CACHE_TTL_SECONDS"] = "600"
            let ingest = try await runProduct("ragserve", ["ingest", stack.corpus.path, "--collection", stack.collection], environment: environment)
            #expect(ingest.code == 0, "\(ingest.output)")
            #expect(ingest.output.contains("cached answers from `\(stack.collection)` retired (collection version 1)"), "\(ingest.output)")

            let calls = Self.chatCalls(stack)
            let after = try await Self.ask("What do worker bees do?", stack: stack)
            #expect(!after.cached, "the index changed under the cached answer")
            #expect(try await waitForEnd(after.id, harness: stack.harness).status == .finished)
            #expect(Self.chatCalls(stack) == calls + 1)
            // The fresh answer is cached under the new version.
            #expect(try await Self.ask("What do worker bees do?", stack: stack).cached)
        }
    }

    @Test("ragserve retire-answers: documents changed outside ingest retire the collection's answers; a bad name is refused in one line")
    func retireByHand() async throws {
        try await withRAGStack { stack in
            let first = try await Self.ask("Why do bees dance?", stack: stack)
            _ = try await waitForEnd(first.id, harness: stack.harness)
            #expect(try await Self.ask("Why do bees dance?", stack: stack).cached)
            let environment = Self.environment(stack)
            let retired = try await runProduct("ragserve", ["retire-answers", stack.collection], environment: environment)
            #expect(retired.code == 0)
            #expect(retired.output == "cached answers from `\(stack.collection)` retired (collection version 1)\n")
            #expect(!(try await Self.ask("Why do bees dance?", stack: stack).cached))

            let bad = try await runProduct("ragserve", ["retire-answers", "no/slashes"], environment: environment)
            #expect(bad.code != 0)
            #expect(bad.output.contains("collection"), "\(bad.output)")
        }
    }

    @Test("twenty equal questions at once: one chat call, twenty finished queries with the same answer")
    func coalesced() async throws {
        try await withRAGStack { stack in
            var results: [EnqueueResult] = []
            for _ in 0..<20 { results.append(try await Self.ask("How is honey made?", stack: stack)) }
            #expect(results.filter(\.coalesced).count + results.filter(\.cached).count == 19, "one runs; the rest follow it or read its answer")
            var answers: Set<[UInt8]> = []
            for result in results {
                let record = try await waitForEnd(result.id, harness: stack.harness)
                #expect(record.status == .finished && record.endCount == 1)
                answers.insert(try #require(record.result))
            }
            #expect(answers.count == 1)
            #expect(Self.chatCalls(stack) == 1)
        }
    }

    @Test("a worker killed while it runs a coalesced job: the job runs again elsewhere and every follower ends once, finished")
    func killedLeaderWorker() async throws {
        // Each answer takes 1.5 s, so the kill lands while the leader runs.
        let latency = LatencyProfile<FakeOpenAIServer.Endpoint>(perEndpoint: [.chatCompletions: .fixed(.milliseconds(1500))])
        try await withRAGStack(openAI: .init(latency: latency), startWorker: false) { stack in
            let binary = builtProduct("ragserve")
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("ragserve-\(JobID().rawValue.prefix(6)).log").path
            defer { try? FileManager.default.removeItem(atPath: log) }
            let environment = RagServeWorkerProcessTests.environment(stack, grace: "0")
            let doomed = ChildProcess(executable: binary, arguments: ["worker"])
            let survivor = ChildProcess(executable: binary, arguments: ["worker"])
            try doomed.start(outputPath: log, environment: environment)
            do {
                let leader = try await Self.ask("What does the queen bee eat?", stack: stack)
                var followers: [EnqueueResult] = []
                for _ in 0..<5 { followers.append(try await Self.ask("What does the queen bee eat?", stack: stack)) }
                #expect(followers.allSatisfy { $0.coalesced })
                try await eventually(timeout: .seconds(20), "the leader to be running") {
                    try await stack.harness.store.job(leader.id)?.status == .started
                }
                await doomed.stop(with: SIGKILL)
                try survivor.start(outputPath: log, environment: environment)
                let answered = try await waitForEnd(leader.id, harness: stack.harness, timeout: .seconds(30))
                #expect(answered.status == .finished && answered.crashes >= 1, "the lease ran out and the job ran again: \(answered.attempts) attempts, \(answered.crashes) crashes")
                for follower in followers {
                    let record = try await waitForEnd(follower.id, harness: stack.harness, timeout: .seconds(10))
                    #expect(record.status == .finished && record.endCount == 1 && record.result == answered.result)
                    #expect(record.attempts == 0, "a follower never reaches a worker")
                }
                #expect(await survivor.stop() == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            } catch {
                await doomed.stop(with: SIGKILL)
                await survivor.stop(with: SIGKILL)
                throw error
            }
        }
    }

    @Test("the semantic cache: a reworded question reuses the answer with no search or chat call; a different one runs; the answer streams whole")
    func semanticReuse() async throws {
        try await withRAGStack(configure: { configuration in
            configuration.answerCacheTTL = .seconds(600)
            configuration.semanticCacheThreshold = 0.9
        }) { stack in
            let policy = stack.configuration.answerCache
            func ask(_ question: String, stream: Bool = false) async throws -> JobRecord {
                let query = try RAGQuery(query: question, stream: stream).validated(by: stack.configuration.pipeline.rules)
                var request = EnqueueRequest(kind: RAGQuery.kind, payload: query.json)
                request.answerCache = policy.entry(for: query, tenant: nil)
                return try await waitForEnd(try await stack.harness.store.enqueue(request).id, harness: stack.harness)
            }
            func calls() -> (chat: Int, search: Int) {
                (Self.chatCalls(stack), stack.qdrant.counters.snapshot().requests.filter { [.queryPoints, .searchPoints].contains($0.key) }.values.reduce(0, +))
            }
            let first = try await ask("How do honeybees keep their hive cool?")
            #expect(first.status == .finished && first.cachedFrom == nil)
            let before = calls()

            // The same words but one, in another order: the fake's bag-of-words embeddings are 0.93 alike.
            let reworded = try await ask("Honeybees: how do they keep their hive cool?", stream: true)
            #expect(reworded.status == .finished)
            #expect(reworded.cachedFrom == first.id)
            let similarity = try #require(reworded.similarity)
            #expect(similarity >= 0.9 && similarity < 1)
            #expect(try stack.answer(of: reworded).answer == (try stack.answer(of: first)).answer)
            #expect(calls() == before, "no search, no chat call")
            let tokens = try await stack.harness.store.tokens(of: reworded.id, after: nil).compactMap { entry -> String? in
                if case .text(let text) = entry.kind { return text } else { return nil }
            }
            #expect(tokens.joined() == (try stack.answer(of: first)).answer, "a streamed query gets the reused answer on its stream")
            let counters = try await stack.harness.store.stats().counters
            #expect(counters["semantic_hits"] == 1)

            // Another question that shares most words (0.86 alike) is below the threshold: it runs.
            let other = try await ask("How do honeybees keep their hive warm?")
            #expect(other.cachedFrom == nil)
            #expect(calls().chat == before.chat + 1)
        }
    }

    @Test("tenant B never receives tenant A's cached answer")
    func tenantsApart() async throws {
        try await withRAGStack { stack in
            let first = try await Self.ask("Where is the queen?", tenant: "tenant-a", stack: stack)
            _ = try await waitForEnd(first.id, harness: stack.harness)
            #expect(try await Self.ask("Where is the queen?", tenant: "tenant-a", stack: stack).cached)
            let other = try await Self.ask("Where is the queen?", tenant: "tenant-b", stack: stack)
            #expect(!other.cached)
            let record = try await waitForEnd(other.id, harness: stack.harness)
            #expect(record.cachedFrom == nil)
        }
    }
}
