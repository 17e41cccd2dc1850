import Foundation
import Testing

@testable import RAGQueue

/// A worker given a task executor (`Worker.Configuration.taskExecutor`; the worker process gives
/// its HTTP client's thread) runs its jobs there, HTTP calls and store calls included.
@Suite("worker task executor")
struct WorkerExecutorTests {
    /// Records the thread it runs on before and after an HTTP call to a server that does not listen.
    struct ThreadHandler: JobHandler {
        let kind = "thread"
        let client: CurlHTTPClient
        func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
            let before = Self.threadName()
            _ = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/"))
            return Array("\(before) \(Self.threadName())".utf8)
        }

        static func threadName() -> String {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return String(name.prefix { $0 != "\n" })
        }
    }

    @Test("jobs run on the HTTP client's thread when the worker is given it, on the global pool otherwise", .timeLimit(.minutes(1)), arguments: [true, false])
    func runsOnExecutor(onHTTPThread: Bool) async throws {
        try await withStore(.valkey) { harness in
            let client = try CurlHTTPClient()
            var configuration = Worker.Configuration()
            if onHTTPThread { configuration.taskExecutor = client.taskExecutor }
            let worker = Worker(
                store: harness.store, queue: harness.configuration, handlers: [ThreadHandler(client: client)],
                configuration: configuration, logger: testLogger("executor-worker")
            )
            let running = Task { try await worker.run() }
            var ids: [JobID] = []
            for _ in 0..<4 { ids.append(try await harness.store.enqueue(EnqueueRequest(kind: "thread", payload: [])).id) }
            var threads: Set<String> = []
            for id in ids {
                let record = try await waitForEnd(id, store: harness.store)
                #expect(record.status == .finished)
                threads.formUnion((record.result.map { String(decoding: $0, as: UTF8.self) } ?? "").split(separator: " ").map(String.init))
            }
            worker.stop()
            try await running.value
            await client.shutdown()
            if onHTTPThread {
                #expect(threads == ["ragqueue-curl"])
            } else {
                #expect(!threads.contains("ragqueue-curl") && !threads.isEmpty)
            }
        }
    }
}
