import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import RAGQueue
import RAGQueueTestSupport
@testable import RAGQueueAPI

/// `ragserve api` and `ragserve query` as child processes, with an in-process worker.
@Suite("API ragserve processes", .timeLimit(.minutes(2)))
struct RagServeAPIProcessTests {
    @Test("ragserve query --wait prints the answer served by ragserve api; SIGTERM stops the API cleanly")
    func queryThroughTheBinary() async throws {
        try await withQueue { queue in
            var workerConfiguration = Worker.Configuration()
            workerConfiguration.shutdownGrace = .seconds(1)
            let worker = Worker(
                store: queue.store, queue: queue.configuration, handlers: [CannedRAGHandler()],
                configuration: workerConfiguration, logger: testLogger("worker")
            )
            let group = ServiceGroup(configuration: .init(services: [worker], logger: testLogger("worker-group")))
            let workerTask = Task { try await group.run() }
            defer { workerTask.cancel() }

            let binary = builtProduct("ragserve")
            let queryLog = FileManager.default.temporaryDirectory.path + "/ragserve-query-\(JobID().rawValue.prefix(6)).log"
            defer { try? FileManager.default.removeItem(atPath: queryLog) }
            let (api, base, apiLog) = try await Self.startAPI(queue: queue)
            defer { try? FileManager.default.removeItem(atPath: apiLog) }
            do {
                let query = ChildProcess(executable: binary, arguments: ["query", "What is a lease?", "--wait", "--url", base, "--timeout", "30"])
                try query.start(outputPath: queryLog, environment: Self.environment(queue: queue))
                let code = await query.waitForExit()
                let output = (try? String(contentsOfFile: queryLog, encoding: .utf8)) ?? ""
                #expect(code == 0, "ragserve query exited \(code): \(output)")
                #expect(output.contains(CannedRAGHandler.answer(to: "What is a lease?")))

                // --json: the whole query as the API has it, one line a program can read.
                let jsonLog = queryLog + ".json"
                defer { try? FileManager.default.removeItem(atPath: jsonLog) }
                let asJSON = ChildProcess(executable: binary, arguments: ["query", "What is a lease?", "--wait", "--json", "--url", base, "--timeout", "30"])
                try asJSON.start(outputPath: jsonLog, environment: Self.environment(queue: queue))
                #expect(await asJSON.waitForExit() == 0)
                let line = try #require((try? String(contentsOfFile: jsonLog, encoding: .utf8))?.split(separator: "\n").last)
                let view = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
                #expect(view["status"] == .string("finished") && view["result"]?["answer"] == .string(CannedRAGHandler.answer(to: "What is a lease?")))
                #expect(view["result"]?["sources"]?.arrayValue != nil, "the sources come with it")

                // --version: the release, exit 0; a bad option: exit 64 with the usage; a URL that is not one: exit 1, one line.
                for (program, arguments, expected) in [
                    (binary, ["--version"], 0), (builtProduct("ragsim"), ["--version"], 0), (binary, ["query"], 64),
                    (binary, ["query", "q", "--url", "notaurl"], 1),
                ] as [(String, [String], Int32)] {
                    let log = queryLog + ".\(expected)"
                    defer { try? FileManager.default.removeItem(atPath: log) }
                    let child = ChildProcess(executable: program, arguments: arguments)
                    try child.start(outputPath: log, environment: Self.environment(queue: queue))
                    #expect(await child.waitForExit() == expected, "\(program) \(arguments)")
                    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    if expected == 0 { #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == RAGQueueVersion.current) }
                    if expected == 1 { #expect(text == "ragserve: the API URL must be http:// or https:// with a host, got \"notaurl\" (--url or RAGQUEUE_API_URL)\n", "\(text)") }
                }

                #expect(await api.stop() == 0, "\((try? String(contentsOfFile: apiLog, encoding: .utf8)) ?? "")")
            } catch {
                await api.stop(with: SIGKILL)
                throw error
            }
            await group.triggerGracefulShutdown()
            _ = await workerTask.result
        }
    }

    @Test("while Valkey is down ragserve api answers at once: 503 with Retry-After, /readyz 503, /metrics without stale queue figures; back to 200 when it returns")
    func valkeyDown() async throws {
        try await withQueue(appendOnly: true) { queue in
            let (api, base, apiLog) = try await Self.startAPI(queue: queue)
            defer { try? FileManager.default.removeItem(atPath: apiLog) }
            let http = try CurlHTTPClient()
            do {
                let submit = HTTPClientRequest(
                    url: base + "/v1/queries", method: .post, headers: ["Content-Type": "application/json"],
                    body: Data(#"{"query":"held"}"#.utf8), timeout: .seconds(30)
                )
                let accepted = try await http.execute(submit)
                #expect(accepted.status == 202)
                let id = try #require(try JSONDecoder().decode(JSONValue.self, from: accepted.body)["id"]?.stringValue)
                _ = try await http.execute(HTTPClientRequest(url: base + "/metrics", timeout: .seconds(30)))

                await queue.server.kill()
                // Bounded well below the 10 s a request used to wait for Valkey; the figure is in the README.
                let refused = try await within(.seconds(5), "a submit to be refused while Valkey is down") { try await http.execute(submit) }
                #expect(refused.status == 503)
                #expect(refused.headers["Retry-After"] != nil)
                #expect(try JSONDecoder().decode(JSONValue.self, from: refused.body)["error"]?["code"] == .string("backend_unavailable"))
                let read = try await within(.seconds(5), "a read to be refused") {
                    try await http.execute(HTTPClientRequest(url: base + "/v1/queries/\(id)", timeout: .seconds(30)))
                }
                #expect(read.status == 503 && read.headers["Retry-After"] != nil)
                let ready = try await http.execute(HTTPClientRequest(url: base + "/readyz", timeout: .seconds(30)))
                #expect(ready.status == 503)
                let metrics = String(decoding: try await http.execute(HTTPClientRequest(url: base + "/metrics", timeout: .seconds(30))).body, as: UTF8.self)
                #expect(metrics.contains("ragqueue_queue_up 0"))
                #expect(metrics.contains(#"ragqueue_queue_jobs{state="waiting"} nan"#), "no stale queue figure:\n\(metrics)")

                try await queue.server.start()
                try await eventually("the API to answer again once Valkey is back") {
                    try await http.execute(HTTPClientRequest(url: base + "/v1/queries/\(id)", timeout: .seconds(30))).status == 200
                }
                let back = String(decoding: try await http.execute(HTTPClientRequest(url: base + "/metrics", timeout: .seconds(30))).body, as: UTF8.self)
                #expect(back.contains("ragqueue_queue_up 1"))
                await http.shutdown()
                #expect(await api.stop() == 0)
            } catch {
                await http.shutdown()
                await api.stop(with: SIGKILL)
                throw error
            }
        }
    }

    @Test("while Valkey is frozen (SIGSTOP: connections hang rather than fail) ragserve api still answers 503 within its command timeout, and 200 once it wakes")
    func valkeyFrozen() async throws {
        try await withQueue { queue in
            let (api, base, apiLog) = try await Self.startAPI(queue: queue)
            defer { try? FileManager.default.removeItem(atPath: apiLog) }
            let http = try CurlHTTPClient()
            let pid = try #require(queue.server.pid)
            let stats = HTTPClientRequest(url: base + "/v1/stats", timeout: .seconds(30))
            do {
                #expect(try await http.execute(stats).status == 200)
                kill(pid, SIGSTOP)
                // Bounded well below the 10 s a request used to wait for an answer.
                let refused = try await within(.seconds(5), "a read to be refused while Valkey is frozen") { try await http.execute(stats) }
                kill(pid, SIGCONT)
                #expect(refused.status == 503 && refused.headers["Retry-After"] != nil)
                try await eventually("the API to answer again once Valkey wakes") { try await http.execute(stats).status == 200 }
                await http.shutdown()
                #expect(await api.stop() == 0)
            } catch {
                kill(pid, SIGCONT)
                await http.shutdown()
                await api.stop(with: SIGKILL)
                throw error
            }
        }
    }

    /// The environment of a `ragserve` child on `queue`: none of the caller's settings.
    private static func environment(queue: QueueHarness) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in RAGQueueConfiguration.environmentVariables.map(\.name) { environment[name] = nil }
        environment["VALKEY_URL"] = queue.server.url
        environment["RAGQ_PREFIX"] = queue.configuration.prefix
        environment["RAGQ_QUEUE"] = queue.configuration.name
        environment["LOG_LEVEL"] = "warning"
        return environment
    }

    /// Starts `ragserve api` on `queue` and a free port; returns it, its URL and its log's path.
    private static func startAPI(queue: QueueHarness) async throws -> (ChildProcess, String, String) {
        let log = FileManager.default.temporaryDirectory.path + "/ragserve-api-\(JobID().rawValue.prefix(6)).log"
        let api = ChildProcess(executable: builtProduct("ragserve"), arguments: ["api", "--host", "127.0.0.1", "--port", "0"])
        try api.start(outputPath: log, environment: environment(queue: queue))
        var url: String?
        try await eventually("ragserve api prints its URL") {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            url = text.split(separator: "\n").first { $0.hasPrefix("API_URL=") }.map { String($0.dropFirst(8)) }
            return url != nil || !api.isRunning
        }
        guard let url else {
            await api.stop(with: SIGKILL)
            throw QueueError.invalidConfiguration("ragserve api did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        return (api, url, log)
    }
}
