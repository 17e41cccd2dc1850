import FakeBackends
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
import Tracing

@testable import RAGQueue
import RAGQueueTestSupport

/// One query's trace across `ragserve api` and `ragserve worker` processes, as an OTLP collector
/// receives it: a receiver in the test decodes what the two processes post and checks the tree.
@Suite("tracing", .timeLimit(.minutes(2)))
struct TracingProcessTests {
    /// An OTLP/HTTP receiver on a free loopback port: keeps the spans of every `POST /v1/traces`,
    /// with the `service.name` of the resource that sent them.
    final class Receiver: Sendable {
        struct Received: Sendable {
            let service: String
            let span: JSONValue
            var name: String { span["name"]?.stringValue ?? "" }
            var id: String { span["spanId"]?.stringValue ?? "" }
            var parent: String? { span["parentSpanId"]?.stringValue }
            var kind: Int? { span["kind"]?.intValue }
            func attribute(_ key: String) -> JSONValue? {
                span["attributes"]?.arrayValue?.first { $0["key"] == .string(key) }?["value"]
            }
        }
        let spans = Mutex<[Received]>([])
        let bodies = Mutex<Int>(0)

        func take(_ body: JSONValue) {
            for resourceSpans in body["resourceSpans"]?.arrayValue ?? [] {
                let service = resourceSpans["resource"]?["attributes"]?.arrayValue?
                    .first { $0["key"] == "service.name" }?["value"]?["stringValue"]?.stringValue ?? ""
                for scope in resourceSpans["scopeSpans"]?.arrayValue ?? [] {
                    for span in scope["spans"]?.arrayValue ?? [] { spans.withLock { $0.append(Received(service: service, span: span)) } }
                }
            }
            bodies.withLock { $0 += 1 }
        }

        func trace(_ traceID: String) -> [Received] {
            spans.withLock { $0.filter { $0.span["traceId"]?.stringValue == traceID } }
        }

        /// Runs the receiver for `body`, given its base URL.
        func serving<T>(_ body: (String) async throws -> T) async throws -> T {
            let router = Router()
            router.post("/v1/traces") { request, _ -> Response in
                let buffer = try await request.body.collect(upTo: 16 << 20)
                guard request.headers[.contentType] == "application/json" else { return Response(status: .unsupportedMediaType) }
                self.take(try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)))
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
            }
            let port = Mutex<Int?>(nil)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: testLogger("otlp-receiver")
            )
            let group = ServiceGroup(configuration: .init(services: [app], logger: testLogger("otlp-receiver")))
            let running = Task { try await group.run() }
            defer { running.cancel() }
            try await eventually("the receiver to listen") { port.withLock { $0 } != nil }
            let result = try await body("http://127.0.0.1:\(port.withLock { $0 } ?? 0)")
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            return result
        }
    }

    @Test("the exporter keeps at most its queue's size, and a graceful shutdown sends what waits without waiting for the schedule")
    func exporterBoundAndFlush() async throws {
        let receiver = Receiver()
        try await receiver.serving { collector in
            var configuration = try #require(try TracingConfiguration.from(
                environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": collector, "OTEL_BSP_SCHEDULE_DELAY": "600000", "OTEL_BSP_MAX_QUEUE_SIZE": "10"],
                serviceName: "exporter-test"
            ))
            configuration.maxExportBatchSize = 4
            let exporter = try OTLPExporter(configuration: configuration, logger: testLogger("exporter"))
            let tracer = OTLPTracer(exporter: exporter)
            for number in 0..<25 { tracer.startSpan("span \(number)", context: .topLevel).end() }
            let group = ServiceGroup(configuration: .init(services: [exporter], logger: testLogger("exporter")))
            let running = Task { try await group.run() }
            // Batches are full from the start: they go at once, the schedule notwithstanding.
            try await eventually("the queued spans") { receiver.spans.withLock { $0.count } >= 10 }
            // Less than a batch, on a ten-minute schedule: only the shutdown sends these.
            for number in 0..<2 { tracer.startSpan("late \(number)", context: .topLevel).end() }
            await group.triggerGracefulShutdown()
            try await running.value
            let names = receiver.spans.withLock { $0.map(\.name) }
            #expect(names == (0..<10).map { "span \($0)" } + ["late 0", "late 1"], "the first ten, once each, the rest dropped; then the late two: \(names)")
            #expect(receiver.spans.withLock { $0.allSatisfy { $0.service == "exporter-test" } })
        }
    }

    @Test("a query's spans form one tree: the caller's span, the API's server span, the enqueue, the queue wait, the worker's process span with embed, retrieve, generate (with tokens) and the final write")
    func spanTree() async throws {
        let receiver = Receiver()
        try await receiver.serving { collector in
            try await withRAGStack(startWorker: false) { stack in
                let binary = builtProduct("ragserve")
                var environment = RagServeWorkerProcessTests.environment(stack, grace: "5")
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
                environment["API_RATE_LIMIT_PER_MINUTE"] = "0"
                let log = FileManager.default.temporaryDirectory.appendingPathComponent("ragserve-trace-\(JobID().rawValue.prefix(6)).log").path
                defer { try? FileManager.default.removeItem(atPath: log) }
                func output() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
                let worker = ChildProcess(executable: binary, arguments: ["worker"])
                let api = ChildProcess(executable: binary, arguments: ["api", "--host", "127.0.0.1", "--port", "0"])
                try worker.start(outputPath: log, environment: environment)
                try api.start(outputPath: log, environment: environment)
                let http = try CurlHTTPClient()
                do {
                    try await eventually("ragserve api prints its URL") { output().contains("API_URL=") || !api.isRunning }
                    let base = try #require(output().split(separator: "\n").first { $0.hasPrefix("API_URL=") }.map { String($0.dropFirst(8)) })

                    // The caller's own trace: its span is the POST's parent.
                    let traceID = TraceContext.newTraceID().lowercaseHex
                    let callerSpan = TraceContext.newSpanID().lowercaseHex
                    let submitted = try await http.execute(HTTPClientRequest(
                        url: base + "/v1/queries", method: .post,
                        headers: ["Content-Type": "application/json", "traceparent": "00-\(traceID)-\(callerSpan)-01"],
                        body: Data(#"{"query":"What do honeybees store in the hive?","top_k":2}"#.utf8), timeout: .seconds(10)
                    ))
                    #expect(submitted.status == 202, "\(String(decoding: submitted.body, as: UTF8.self))")
                    let id = try #require(try JSONDecoder().decode(JSONValue.self, from: submitted.body)["id"]?.stringValue)
                    let ended = try await http.execute(HTTPClientRequest(url: base + "/v1/queries/\(id)?wait=20", timeout: .seconds(30)))
                    #expect(try JSONDecoder().decode(JSONValue.self, from: ended.body)["status"] == "finished")

                    let expected = ["/v1/queries", "enqueue rag.query", "queue wait", "process rag.query", "embed", "retrieve", "generate", "queue complete"]
                    try await eventually(timeout: .seconds(15), "every span of the query at the collector") {
                        Set(receiver.trace(traceID).map(\.name)).isSuperset(of: expected)
                    }
                    let spans = receiver.trace(traceID)
                    func one(_ name: String) throws -> Receiver.Received {
                        let found = spans.filter { $0.name == name }
                        #expect(found.count == 1, "one \(name): \(found.map(\.span))")
                        return try #require(found.first)
                    }
                    let post = try one("/v1/queries")
                    let enqueue = try one("enqueue rag.query")
                    let wait = try one("queue wait")
                    let process = try one("process rag.query")
                    #expect(post.parent == callerSpan && post.kind == 2 && post.service == "ragserve-api", "the caller's traceparent is honoured")
                    #expect(post.attribute("http.response.status_code")?["intValue"] == "202" && post.attribute("http.request.method")?["stringValue"] == "POST")
                    #expect(enqueue.parent == post.id && enqueue.kind == 4 && enqueue.attribute("messaging.message.id")?["stringValue"] == .string(id))
                    #expect(wait.parent == enqueue.id && wait.service == "ragserve-worker")
                    #expect(process.parent == enqueue.id && process.kind == 5 && process.service == "ragserve-worker")
                    for name in ["embed", "retrieve", "generate", "queue complete"] {
                        #expect(try one(name).parent == process.id, "\(name) is a child of the worker's span")
                    }
                    let generate = try one("generate")
                    let input = Int(generate.attribute("gen_ai.usage.input_tokens")?["intValue"]?.stringValue ?? "") ?? 0
                    let outputTokens = Int(generate.attribute("gen_ai.usage.output_tokens")?["intValue"]?.stringValue ?? "") ?? 0
                    #expect(input > 0 && outputTokens > 0, "the chat span carries its token counts: \(generate.span)")
                    // Each span lies within its parent's time, the wait before the processing.
                    let start = { (span: Receiver.Received) in UInt64(span.span["startTimeUnixNano"]?.stringValue ?? "") ?? 0 }
                    let end = { (span: Receiver.Received) in UInt64(span.span["endTimeUnixNano"]?.stringValue ?? "") ?? 0 }
                    #expect(start(post) <= start(enqueue) && end(enqueue) <= end(post))
                    #expect(end(wait) <= start(process) + 1_000_000 && start(wait) >= start(enqueue) - 1_000_000)

                    await http.shutdown()
                    #expect(await api.stop() == 0, "\(output())")
                    #expect(await worker.stop() == 0, "\(output())")
                } catch {
                    await http.shutdown()
                    await api.stop(with: SIGKILL)
                    await worker.stop(with: SIGKILL)
                    throw error
                }
            }
        }
    }
}
