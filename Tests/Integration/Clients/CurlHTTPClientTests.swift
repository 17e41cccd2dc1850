import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("CurlHTTPClient over loopback sockets")
    struct CurlHTTPClientTests {
        static func makeClient(_ configure: (inout CurlHTTPClient.Configuration) -> Void = { _ in }) throws -> CurlHTTPClient {
            var configuration = CurlHTTPClient.Configuration()
            configuration.timeout = .seconds(20)
            configure(&configuration)
            return try CurlHTTPClient(configuration: configuration)
        }

        @Test("GET returns status, headers and body")
        func get() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.get("hello") { request, _ -> Response in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain"
                headers[HTTPField.Name("X-Echo")!] = request.headers[HTTPField.Name("X-Test")!] ?? "missing"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "hello, world")))
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let response = try await client.execute(HTTPClientRequest(url: base + "/hello", headers: ["X-Test": "abc 123"]))
                #expect(response.status == 200)
                #expect(response.headers["content-type"] == "text/plain")
                #expect(response.headers["x-echo"] == "abc 123")
                #expect(String(decoding: response.body, as: UTF8.self) == "hello, world")
            }
            await client.shutdown()
        }

        @Test("POST and PUT send the body bytes, method and content type")
        func postAndPut() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            let echo: @Sendable (Request, LoopbackRequestContext) async throws -> Response = { request, _ in
                let body = try await request.body.collect(upTo: 10_000_000)
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Method")!] = request.method.rawValue
                headers[HTTPField.Name("X-Content-Type")!] = request.headers[.contentType] ?? ""
                return Response(status: .created, headers: headers, body: .init(byteBuffer: body))
            }
            router.post("echo", use: echo)
            router.put("echo", use: echo)
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                // Binary body with a NUL byte and more than 1 KiB (where libcurl would otherwise send Expect: 100-continue).
                let bytes = Data((0..<5000).map { UInt8($0 % 251) })
                for method in [HTTPClientRequest.Method.post, .put] {
                    let request = HTTPClientRequest(
                        url: base + "/echo",
                        method: method,
                        headers: ["Content-Type": "application/octet-stream"],
                        body: bytes
                    )
                    let response = try await client.execute(request)
                    #expect(response.status == 201)
                    #expect(response.headers["x-method"] == method.rawValue)
                    #expect(response.headers["x-content-type"] == "application/octet-stream")
                    #expect(response.body == bytes)
                }
            }
            await client.shutdown()
        }

        @Test("error statuses come back as responses, not errors")
        func errorStatus() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.get("missing") { _, _ -> Response in
                Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"nope\"}")))
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let response = try await client.execute(HTTPClientRequest(url: base + "/missing"))
                #expect(response.status == 404)
                #expect(!response.isSuccess)
                #expect(String(decoding: response.body, as: UTF8.self) == "{\"error\":\"nope\"}")
            }
            await client.shutdown()
        }

        @Test("200 concurrent requests all complete with their own answers")
        func manyConcurrent() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.post("echo") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1_000_000)
                return Response(status: .ok, body: .init(byteBuffer: body))
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            let request = HTTPClientRequest(url: base + "/echo", method: .post, body: Data("request \(index)".utf8))
                            let response = try await client.execute(request)
                            return (index, String(decoding: response.body, as: UTF8.self))
                        }
                    }
                    var answers: [Int: String] = [:]
                    for try await (index, answer) in group {
                        answers[index] = answer
                    }
                    return answers
                }
                #expect(answers.count == 200)
                #expect(answers.allSatisfy { $0.value == "request \($0.key)" })
            }
            await client.shutdown()
        }

        /// The name of the thread running the caller (`ragqueue-curl` is the client's own), as the
        /// kernel has it.
        static func threadName() -> String {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return String(name.prefix { $0 != "\n" })
        }

        @Test("tasks that prefer the client's thread run there, and their concurrent calls and streams complete on it", .timeLimit(.minutes(1)))
        func taskExecutor() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.post("echo") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1_000_000)
                return Response(status: .ok, body: .init(byteBuffer: body))
            }
            router.get("chunks") { _, _ -> Response in
                Response(status: .ok, body: ResponseBody { writer in
                    for index in 0..<3 { try await writer.write(ByteBuffer(string: "chunk \(index);")) }
                    try await writer.finish(nil)
                })
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let outcome = try await Task(executorPreference: client.taskExecutor) {
                    // Where each step ran: on the client's thread, and under which name.
                    var threads: Set<String> = [Self.threadName()]
                    var onClientThread: Set<Bool> = [client.isCurrentThread]
                    // Child tasks inherit the preference; each resumes where its response was read.
                    let answers = try await withThrowingTaskGroup(of: (Int, String, String, Bool).self) { group in
                        for index in 0..<50 {
                            group.addTask {
                                let request = HTTPClientRequest(url: base + "/echo", method: .post, body: Data("request \(index)".utf8))
                                let response = try await client.execute(request)
                                return (index, String(decoding: response.body, as: UTF8.self), Self.threadName(), client.isCurrentThread)
                            }
                        }
                        var answers: [Int: String] = [:]
                        for try await (index, answer, thread, onThread) in group {
                            answers[index] = answer
                            threads.insert(thread)
                            onClientThread.insert(onThread)
                        }
                        return answers
                    }
                    var streamed = ""
                    for try await chunk in try await client.stream(HTTPClientRequest(url: base + "/chunks")).body {
                        streamed += String(decoding: chunk, as: UTF8.self)
                        threads.insert(Self.threadName())
                        onClientThread.insert(client.isCurrentThread)
                    }
                    return (answers, streamed, threads, onClientThread)
                }.value
                #expect(outcome.0.count == 50)
                #expect(outcome.0.allSatisfy { $0.value == "request \($0.key)" })
                #expect(outcome.1 == "chunk 0;chunk 1;chunk 2;")
                #expect(outcome.3 == [true])
                #expect(outcome.2 == ["ragqueue-curl"])
            }
            await client.shutdown()
            // Once the client has stopped, a task that prefers its thread still runs, elsewhere.
            let after = await Task(executorPreference: client.taskExecutor) { client.isCurrentThread }.value
            #expect(!after)
        }

        @Test("sequential requests reuse one kept-alive connection")
        func connectionReuse() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.get("port") { _, context -> String in
                String(context.remotePort ?? -1)
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                var ports: Set<String> = []
                for _ in 0..<5 {
                    let response = try await client.execute(HTTPClientRequest(url: base + "/port"))
                    ports.insert(String(decoding: response.body, as: UTF8.self))
                }
                #expect(ports.count == 1)
            }
            await client.shutdown()
        }

        @Test("after a burst, only maxCachedConnections connections stay open for reuse")
        func idleConnectionsBounded() async throws {
            let burst = 16
            let gate = BurstGate(size: burst)
            let router = Router(context: LoopbackRequestContext.self)
            router.get("port") { _, context -> String in
                await gate.arrive()  // every request of a burst holds its connection until all have one
                return String(context.remotePort ?? -1)
            }
            let client = try Self.makeClient { $0.maxCachedConnections = 4 }
            try await withLoopbackServer(router) { base in
                func burstPorts() async throws -> Set<String> {
                    try await withThrowingTaskGroup(of: String.self) { group in
                        for _ in 0..<burst {
                            group.addTask { String(decoding: try await client.execute(HTTPClientRequest(url: base + "/port")).body, as: UTF8.self) }
                        }
                        return try await group.reduce(into: []) { $0.insert($1) }
                    }
                }
                let first = try await burstPorts()
                #expect(first.count == burst)
                let second = try await burstPorts()
                #expect(second.count == burst)
                // Connections the first burst left open are reused by the second; at most 4 were kept.
                #expect(first.intersection(second).count <= 4)
                #expect(!first.intersection(second).isEmpty)
            }
            await client.shutdown()
        }

        @Test("a per-call timeout fails a slow call with a transient timeout error")
        func timeout() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.get("slow") { _, _ -> String in
                try await Task.sleep(for: .seconds(30))
                return "too late"
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: HTTPClientError.self) {
                    try await client.execute(HTTPClientRequest(url: base + "/slow", timeout: .milliseconds(300)))
                }
                let elapsed = clock.now - start
                #expect(error?.code == .timeout)
                #expect(error?.isTransient == true)
                #expect(elapsed >= .milliseconds(250))
                #expect(elapsed < .seconds(10))
                if let error {
                    let backend = BackendError.transport(error, backend: "test")
                    #expect(backend.code == .timeout)
                    #expect(backend.isTransient)
                }
            }
            await client.shutdown()
        }

        @Test("cancelling the calling task aborts the transfer with CancellationError")
        func cancellation() async throws {
            let arrived = Signal()
            let router = Router(context: LoopbackRequestContext.self)
            router.get("hang") { _, _ -> String in
                arrived.fire()
                try await Task.sleep(for: .seconds(30))
                return "too late"
            }
            router.get("ok") { _, _ -> String in "ok" }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let call = Task {
                    try await client.execute(HTTPClientRequest(url: base + "/hang"))
                }
                #expect(await arrived.wait())
                call.cancel()
                await #expect(throws: CancellationError.self) {
                    _ = try await call.value
                }
                // The client keeps working after a cancelled transfer.
                let response = try await client.execute(HTTPClientRequest(url: base + "/ok"))
                #expect(String(decoding: response.body, as: UTF8.self) == "ok")
            }
            await client.shutdown()
        }

        @Test("a task cancelled before the call starts never sends it")
        func cancelledBeforeStart() async throws {
            let client = try Self.makeClient()
            let call = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/never"))
            }
            await #expect(throws: CancellationError.self) {
                _ = try await call.value
            }
            await client.shutdown()
        }

        @Test("streaming delivers the first chunk before the server has written the second")
        func streaming() async throws {
            let proceed = Signal()
            let router = Router(context: LoopbackRequestContext.self)
            router.get("stream") { _, _ -> Response in
                var headers = HTTPFields()
                headers[.contentType] = "text/event-stream"
                return Response(
                    status: .ok,
                    headers: headers,
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: "data: one\n\n"))
                        guard await proceed.wait() else { return }
                        try await writer.write(ByteBuffer(string: "data: two\n\n"))
                        try await writer.finish(nil)
                    }
                )
            }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let response = try await client.stream(HTTPClientRequest(url: base + "/stream"))
                #expect(response.status == 200)
                #expect(response.headers["content-type"] == "text/event-stream")
                var parser = ServerSentEventParser()
                var events: [String] = []
                for try await chunk in response.body {
                    events += parser.feed(chunk).map(\.data)
                    if events == ["one"] {
                        // Only now may the server write the rest: the first event arrived on its own.
                        proceed.fire()
                    }
                }
                #expect(events == ["one", "two"])
            }
            await client.shutdown()
        }

        @Test("a streaming call whose consumer stops early leaves the client usable")
        func streamingAbandoned() async throws {
            let router = Router(context: LoopbackRequestContext.self)
            router.get("endless") { _, _ -> Response in
                Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        while !Task.isCancelled {
                            try await writer.write(ByteBuffer(string: String(repeating: "x", count: 1000)))
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                )
            }
            router.get("ok") { _, _ -> String in "ok" }
            let client = try Self.makeClient()
            try await withLoopbackServer(router) { base in
                let response = try await client.stream(HTTPClientRequest(url: base + "/endless"))
                var received = 0
                for try await chunk in response.body {
                    received += chunk.count
                    if received >= 3000 { break }
                }
                #expect(received >= 3000)
                let ok = try await client.execute(HTTPClientRequest(url: base + "/ok"))
                #expect(ok.status == 200)
            }
            await client.shutdown()
        }

        @Test("connection refused is a transient connect failure")
        func connectionRefused() async throws {
            let client = try Self.makeClient()
            // Port 1 on loopback: privileged and unused, so the kernel refuses at once.
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/"))
            }
            #expect(error?.code == .connectFailed)
            #expect(error?.isTransient == true)
            if let error {
                let backend = BackendError.transport(error, backend: "test")
                #expect(backend.code == .connection)
                #expect(backend.isTransient)
            }
            await client.shutdown()
        }

        @Test("malformed URLs and header injection are rejected before anything is sent")
        func invalidRequests() async throws {
            let client = try Self.makeClient()
            let badURL = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: "ftp://127.0.0.1/file"))
            }
            #expect(badURL?.code == .invalidURL)
            let badHeader = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/", headers: ["X-Evil": "a\r\nHost: b"]))
            }
            #expect(badHeader?.code == .invalidRequest)
            await client.shutdown()
        }

        @Test("calls after shutdown fail with a shutdown error")
        func afterShutdown() async throws {
            let client = try Self.makeClient()
            await client.shutdown()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/"))
            }
            #expect(error?.code == .shutdown)
        }
    }
}
