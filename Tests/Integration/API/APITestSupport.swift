import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// Kind `rag.query` for tests: answers `answer to: <query>` at once with a canned `RAGAnswer`.
/// For `stream: true` it first streams the answer's words to the job's token stream.
struct CannedRAGHandler: JobHandler {
    let kind = RAGQuery.kind
    /// Milliseconds to hold each job before answering (lets tests observe `started`).
    var holdMilliseconds = 0
    /// When set, each job waits for it to open before it answers: a test decides when jobs end.
    var gate: TestGate? = nil

    static func answer(to query: String) -> String { "answer to: \(query)" }

    func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
        let query = try RAGQuery(json: job.payload)
        let answer = Self.answer(to: query.query)
        if holdMilliseconds > 0 {
            let end = ContinuousClock.now + .milliseconds(holdMilliseconds)
            while ContinuousClock.now < end {
                try context.checkCancellation()
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        if let gate { await gate.wait() }
        if query.stream {
            let words = answer.split(separator: " ", omittingEmptySubsequences: false)
            for (index, word) in words.enumerated() {
                await context.stream(.text(index == 0 ? String(word) : " " + word))
            }
            await context.stream(.end(finishReason: "stop"))
        }
        let result = RAGAnswer(
            answer: answer, sources: [], model: "canned", embeddingModel: "canned", collection: query.collection ?? "default"
        )
        return Array(try JSONEncoder().encode(result))
    }
}

/// A gate jobs wait at until the test opens it; it stays open.
final class TestGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let passes = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if passes { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The API on a free loopback port, in front of a private Valkey, with an optional in-process worker.
struct APIHarness: Sendable {
    let queue: QueueHarness
    let baseURL: String
    let http: CurlHTTPClient
    let metrics: APIMetrics

    /// Sends a request to the API; `body` as raw bytes with its content type.
    func send(
        _ method: HTTPClientRequest.Method, _ path: String, headers: HTTPClientHeaders = [:], body: String? = nil,
        contentType: String? = "application/json"
    ) async throws -> HTTPClientResponse {
        var headers = headers
        if body != nil, let contentType, !headers.contains("Content-Type") { headers.add(name: "Content-Type", value: contentType) }
        return try await http.execute(HTTPClientRequest(
            url: baseURL + path, method: method, headers: headers, body: body.map { Data($0.utf8) }, timeout: .seconds(40)
        ))
    }

    /// Submits a v1 query and returns its id, expecting 202.
    func submit(_ query: String, extra: String = "", headers: HTTPClientHeaders = [:]) async throws -> String {
        let body = #"{"query":"\#(query)"\#(extra.isEmpty ? "" : "," + extra)}"#
        let response = try await send(.post, "/v1/queries", headers: headers, body: body)
        #expect(response.status == 202, "submit answered \(response.status): \(response.text)")
        return try #require(response.json["id"]?.stringValue)
    }
}

extension HTTPClientResponse {
    /// The body parsed as JSON (`null` when it is not JSON).
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null }
    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Runs `body` against the API (and, with `worker`, a worker running `CannedRAGHandler`), all torn
/// down afterwards.
func withAPI<T: Sendable>(
    worker: Bool = false,
    appendOnly: Bool = false,
    holdMilliseconds: Int = 0,
    gate: TestGate? = nil,
    answerCache: AnswerCachePolicy = AnswerCachePolicy(),
    configureQueue: (inout QueueConfiguration) -> Void = { _ in },
    configure: (inout APIConfiguration) -> Void = { _ in },
    _ body: (APIHarness) async throws -> T
) async throws -> T {
    try await withQueue(appendOnly: appendOnly, configure: configureQueue) { queue in
        let http = try CurlHTTPClient()
        var configuration = APIConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        let metrics = APIMetrics()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildAPIApplication(
            store: queue.store, rules: QueryRules(), answerCache: answerCache, configuration: configuration, logger: testLogger("api"), httpClient: http,
            metrics: metrics, onServerRunning: { portContinuation.yield($0) }
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if worker {
            var workerConfiguration = Worker.Configuration()
            workerConfiguration.idleWait = .milliseconds(200)
            workerConfiguration.shutdownGrace = .seconds(1)
            let handler = CannedRAGHandler(holdMilliseconds: holdMilliseconds, gate: gate)
            services.append(.init(service: Worker(
                store: queue.store, queue: queue.configuration, handlers: [handler], configuration: workerConfiguration, logger: testLogger("worker")
            )))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: testLogger("api-group"))
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(3)
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task { try await group.run() }
        func tearDown() async {
            await group.triggerGracefulShutdown()
            _ = await task.result
            await http.shutdown()
        }
        let port = await withTaskGroup(of: Int?.self) { race in
            race.addTask { for await port in ports { return port }; return nil }
            race.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await race.next() ?? nil
            race.cancelAll()
            return first
        }
        guard let port else {
            await tearDown()
            Issue.record("the API did not start")
            throw CancellationError()
        }
        let harness = APIHarness(queue: queue, baseURL: "http://127.0.0.1:\(port)", http: http, metrics: metrics)
        do {
            let result = try await body(harness)
            await tearDown()
            return result
        } catch {
            await tearDown()
            throw error
        }
    }
}
