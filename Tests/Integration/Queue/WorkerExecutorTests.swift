import Foundation
import Testing

@testable import RAGQueue

/// A worker given a task executor (`Worker.Configuration.taskExecutor`; the worker process gives
/// its HTTP client's thread) runs its jobs there, before and after their HTTP calls.
@Suite("worker task executor")
struct WorkerExecutorTests {
    /// Records whether it runs on the client's thread, before and after an HTTP call to a server
    /// that does not listen.
    struct ThreadHandler: JobHandler {
        let kind = "thread"
        let client: CurlHTTPClient
        func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
            let before = client.isCurrentThread
            _ = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/"))
            return Array("\(before) \(client.isCurrentThread)".utf8)
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
            // Whether each job ran on the client's thread, before and after its call.
            var threads: Set<String> = []
            for id in ids {
                let record = try await waitForEnd(id, store: harness.store)
                #expect(record.status == .finished)
                threads.formUnion((record.result.map { String(decoding: $0, as: UTF8.self) } ?? "").split(separator: " ").map(String.init))
            }
            worker.stop()
            try await running.value
            await client.shutdown()
            #expect(threads == [onHTTPThread ? "true" : "false"])
        }
    }
}
