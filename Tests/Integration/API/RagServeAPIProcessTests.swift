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
            let directory = FileManager.default.temporaryDirectory.path
            let apiLog = directory + "/ragserve-api-\(JobID().rawValue.prefix(6)).log"
            let queryLog = directory + "/ragserve-query-\(JobID().rawValue.prefix(6)).log"
            defer {
                try? FileManager.default.removeItem(atPath: apiLog)
                try? FileManager.default.removeItem(atPath: queryLog)
            }
            var environment = ProcessInfo.processInfo.environment
            for name in RAGQueueConfiguration.environmentVariables.map(\.name) { environment[name] = nil }
            environment["VALKEY_URL"] = queue.server.url
            environment["RAGQ_PREFIX"] = queue.configuration.prefix
            environment["RAGQ_QUEUE"] = queue.configuration.name
            environment["LOG_LEVEL"] = "warning"
            let api = ChildProcess(executable: binary, arguments: ["api", "--host", "127.0.0.1", "--port", "0"])
            try api.start(outputPath: apiLog, environment: environment)
            do {
                var url: String?
                try await eventually("ragserve api prints its URL") {
                    let text = (try? String(contentsOfFile: apiLog, encoding: .utf8)) ?? ""
                    url = text.split(separator: "\n").first { $0.hasPrefix("API_URL=") }.map { String($0.dropFirst(8)) }
                    return url != nil || !api.isRunning
                }
                let base = try #require(url, "ragserve api did not start: \((try? String(contentsOfFile: apiLog, encoding: .utf8)) ?? "")")

                let query = ChildProcess(executable: binary, arguments: ["query", "What is a lease?", "--wait", "--url", base, "--timeout", "30"])
                try query.start(outputPath: queryLog, environment: environment)
                let code = await query.waitForExit()
                let output = (try? String(contentsOfFile: queryLog, encoding: .utf8)) ?? ""
                #expect(code == 0, "ragserve query exited \(code): \(output)")
                #expect(output.contains(CannedRAGHandler.answer(to: "What is a lease?")))

                #expect(await api.stop() == 0, "\((try? String(contentsOfFile: apiLog, encoding: .utf8)) ?? "")")
            } catch {
                await api.stop(with: SIGKILL)
                throw error
            }
            await group.triggerGracefulShutdown()
            _ = await workerTask.result
        }
    }
}
