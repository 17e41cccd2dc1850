import FakeBackends
import Foundation
import Testing

@testable import RAGQueue
import RAGQueueTestSupport

/// `ragserve worker` as child processes: SIGTERM during a run loses no job, bad settings fail in one line.
/// `swift test --filter RagServeWorkerProcessTests`.
@Suite("ragserve worker processes")
struct RagServeWorkerProcessTests {
    /// The environment a child worker needs to reach the stack.
    static func environment(_ stack: RAGStack, grace: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["VALKEY_URL"] = stack.harness.server.url
        environment["RAGQ_PREFIX"] = stack.harness.configuration.prefix
        environment["RAGQ_QUEUE"] = stack.harness.configuration.name
        environment["OPENAI_API_KEY"] = "sk-test-children"
        environment["OPENAI_BASE_URL"] = stack.openAI.baseURL
        environment["QDRANT_URL"] = stack.qdrant.baseURL
        environment["RAG_COLLECTION"] = stack.collection
        environment["WORKER_CONCURRENCY"] = "4"
        environment["WORKER_SHUTDOWN_GRACE_SECONDS"] = grace
        environment["JOB_LEASE_SECONDS"] = "2"
        environment["LOG_LEVEL"] = "warning"
        return environment
    }

    @Test("SIGTERM to one of two workers mid-run: every job still ends finished")
    func sigtermLosesNoJob() async throws {
        // Each answer takes 300 ms, so the SIGTERM lands while jobs run.
        let latency = LatencyProfile<FakeOpenAIServer.Endpoint>(perEndpoint: [.chatCompletions: .fixed(.milliseconds(300))])
        try await withRAGStack(openAI: .init(latency: latency), startWorker: false) { stack in
            let binary = builtProduct("ragserve")
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("ragserve-\(JobID().rawValue.prefix(6)).log").path
            defer { try? FileManager.default.removeItem(atPath: log) }
            // No grace for the first worker: the jobs it runs at SIGTERM are handed back for the second.
            let first = ChildProcess(executable: binary, arguments: ["worker"])
            let second = ChildProcess(executable: binary, arguments: ["worker", "--concurrency", "4"])
            try first.start(outputPath: log, environment: Self.environment(stack, grace: "0"))
            try second.start(outputPath: log, environment: Self.environment(stack, grace: "5"))
            do {
                var ids: [JobID] = []
                for number in 0..<40 {
                    ids.append(try await stack.ask(RAGQuery(query: "Question \(number) about honeybees and their hive", topK: 1)))
                }
                try await eventually(timeout: .seconds(20), "a few jobs to finish") {
                    try await stack.harness.store.stats().counters["finished", default: 0] >= 4
                }
                let code = await first.stop()
                #expect(code == 0, "worker exited with \(code): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                for id in ids {
                    let record = try await waitForEnd(id, harness: stack.harness, timeout: .seconds(30))
                    #expect(record.status == .finished, "job \(id) ended \(record.status): \(String(describing: record.error))")
                    #expect(try stack.answer(of: record).answer.contains("(see page 2)"))
                }
                #expect(try await stack.harness.store.stats().counters["released", default: 0] >= 1)
                #expect(await second.stop() == 0)
            } catch {
                await first.stop(with: SIGKILL)
                await second.stop(with: SIGKILL)
                throw error
            }
        }
    }

    @Test("--metrics-port: /metrics counts the job the worker ran in its histograms, /healthz answers, LOG_FORMAT=json lines parse, a port in use is named in one line")
    func metricsAndJSONLogs() async throws {
        try await withRAGStack(startWorker: false) { stack in
            let binary = builtProduct("ragserve")
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("ragserve-\(JobID().rawValue.prefix(6)).log").path
            defer { try? FileManager.default.removeItem(atPath: log) }
            var environment = Self.environment(stack, grace: "5")
            environment["LOG_FORMAT"] = "json"
            environment["LOG_LEVEL"] = "info"
            environment["WORKER_METRICS_HOST"] = "127.0.0.1"
            let worker = ChildProcess(executable: binary, arguments: ["worker", "--metrics-port", "0"])
            try worker.start(outputPath: log, environment: environment)
            let http = try CurlHTTPClient()
            do {
                func output() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
                try await eventually(timeout: .seconds(20), "the worker to print its metrics address") { output().contains("METRICS_URL=") }
                let line = try #require(output().split(separator: "\n").first { $0.hasPrefix("METRICS_URL=") })
                let metricsURL = String(line.dropFirst("METRICS_URL=".count))
                let port = try #require(URL(string: metricsURL)?.port)

                let id = try await stack.ask(RAGQuery(query: "What do honeybees store in the hive?", topK: 2))
                #expect(try await waitForEnd(id, harness: stack.harness, timeout: .seconds(20)).status == .finished)
                var metrics = ""
                try await eventually(timeout: .seconds(10), "the job's end in the worker's histogram") {
                    metrics = String(decoding: try await http.execute(HTTPClientRequest(url: metricsURL, timeout: .seconds(10))).body, as: UTF8.self)
                    return metrics.contains(#"ragqueue_job_duration_seconds_count{outcome="succeeded"} 1"#)
                }
                #expect(metrics.contains("# TYPE ragqueue_job_duration_seconds histogram"), "\(metrics)")
                #expect(metrics.contains("ragqueue_job_queue_wait_seconds_count 1"), "\(metrics)")
                for stage in RAGPipeline.Stage.allCases {
                    #expect(metrics.contains(#"ragqueue_stage_duration_seconds_count{stage="\#(stage.rawValue)"} 1"#), "\(stage) timed once")
                }
                #expect(metrics.contains(#"ragqueue_tokens_total{kind="completion"}"#), "\(metrics)")
                let health = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(10)))
                #expect(health.status == 200)

                // Every log line is one JSON object with a millisecond UTC timestamp; the job's end is one info line.
                let lines = output().split(separator: "\n").filter { !$0.hasPrefix("METRICS_URL=") }
                #expect(!lines.isEmpty)
                var ended: JSONValue?
                for line in lines {
                    let object = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
                    let timestamp = try #require(object["ts"]?.stringValue, "\(line)")
                    #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(timestamp)")
                    #expect(object["level"] != nil && object["logger"] != nil && object["msg"] != nil)
                    #expect(!line.contains("sk-test-children"), "no key in the log: \(line)")
                    if object["msg"] == .string("job ended") { ended = object }
                }
                let end = try #require(ended, "one info line for the finished job:\n\(output())")
                #expect(end["level"] == .string("info") && end["job.id"] == .string(id.rawValue) && end["outcome"] == .string("succeeded"))
                #expect(end["duration_ms"]?.intValue != nil && (end["tokens"]?.intValue ?? 0) > 0, "\(end)")

                // A second worker on the same port: exit 1, and the line names the address.
                var second = environment
                second["LOG_LEVEL"] = "critical"
                let (code, text) = try await runProduct("ragserve", ["worker", "--metrics-port", String(port)], environment: second)
                #expect(code == 1)
                #expect(text.contains("ragserve: cannot listen on 127.0.0.1:\(port): the port is in use by another process\n"), "\(text)")

                await http.shutdown()
                #expect(await worker.stop() == 0, "\(output())")
            } catch {
                await http.shutdown()
                await worker.stop(with: SIGKILL)
                throw error
            }
        }
    }

    @Test("a bad setting or a malformed Valkey URL exits non-zero with one line")
    func startupFailures() async throws {
        let cases: [([String: String], String)] = [
            (["VALKEY_URL": "valkey://127.0.0.1:notaport"], "VALKEY_URL:"),
            (["RAG_TOP_K": "many"], "RAG_TOP_K: must be a whole number"),
        ]
        for (overrides, expected) in cases {
            var environment = ProcessInfo.processInfo.environment
            for name in RAGQueueConfiguration.environmentVariables.map(\.name) { environment[name] = nil }
            environment.merge(overrides) { $1 }
            let (code, output) = try await runProduct("ragserve", ["worker"], environment: environment)
            #expect(code == 1)
            let lines = output.split(whereSeparator: \.isNewline)
            #expect(lines.count == 1, "\(output)")
            #expect(output.hasPrefix("ragserve: \(expected)"), "\(output)")
        }
    }

    @Test("a worker started before its Valkey waits for it, then runs jobs once it is up")
    func startsBeforeValkey() async throws {
        let binary = builtProduct("ragserve")
        let server = try ValkeyServerProcess()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ragserve-\(JobID().rawValue.prefix(6)).log").path
        defer {
            try? FileManager.default.removeItem(atPath: log)
            server.cleanUp()
        }
        var queue = QueueConfiguration()
        queue.prefix = "early-\(JobID().rawValue.prefix(6))"
        var environment = ProcessInfo.processInfo.environment
        for name in RAGQueueConfiguration.environmentVariables.map(\.name) { environment[name] = nil }
        environment["VALKEY_URL"] = server.url
        environment["RAGQ_PREFIX"] = queue.prefix
        let worker = ChildProcess(executable: binary, arguments: ["worker"])
        try worker.start(outputPath: log, environment: environment)
        do {
            try await eventually(timeout: .seconds(10), "the worker to say it waits for Valkey") {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("waiting for Valkey")
            }
            #expect(worker.isRunning, "the worker waits instead of exiting")
            try await server.start()
            let store = try ValkeyJobStore(url: server.url, configuration: queue)
            defer { store.close() }
            let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
            let record = try await waitForEnd(id, store: store, timeout: .seconds(20))
            #expect(record.status == .finished)
            #expect(await worker.stop() == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        } catch {
            await worker.stop(with: SIGKILL)
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
