import NIOCore
import NIOHTTP1
import NIOPosix

/// A closed-loop HTTP/1.1 load run: each connection sends its next request as soon as the last
/// answer has fully arrived, until the deadline.
struct LoadRun {
    var requests = 0
    var errors = 0
    var elapsed: Duration = .zero
    var latencies: [Duration] = []

    /// One summary line: requests, requests per second, p50 and p99 latency, errors.
    func line(_ name: String) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            let ms = Double(value.components.seconds) * 1000 + Double(value.components.attoseconds) * 1e-15
            return String(Int((ms * 10).rounded())).paddedDecimal
        }
        let rate = seconds > 0 ? Int((Double(requests) / seconds).rounded()) : 0
        return name.padding(36) + String(requests).leftPadded(10) + String(rate).leftPadded(10)
            + percentile(0.5).leftPadded(9) + percentile(0.99).leftPadded(9) + String(errors).leftPadded(8)
    }

    /// Runs `connections` keep-alive connections against 127.0.0.1:`port` for `duration`.
    static func run(port: Int, path: String, bodies: [String], connections: Int, duration: Duration) async throws -> LoadRun {
        let buffers = bodies.map { ByteBuffer(string: $0) }
        let started = ContinuousClock.now
        let deadline = started + duration
        var total = LoadRun()
        try await withThrowingTaskGroup(of: LoadRun.self) { group in
            for connection in 0..<connections {
                group.addTask {
                    var run = LoadRun()
                    try await withConnection(port: port) { inbound, outbound in
                        var index = connection
                        while ContinuousClock.now < deadline {
                            let sent = ContinuousClock.now
                            let status = try await exchange(
                                inbound: &inbound, outbound: outbound, method: .POST, path: path, body: buffers[index % buffers.count])
                            run.latencies.append(ContinuousClock.now - sent)
                            if status == 200 { run.requests += 1 } else { run.errors += 1 }
                            index += connections
                        }
                    }
                    return run
                }
            }
            for try await run in group {
                total.requests += run.requests
                total.errors += run.errors
                total.latencies += run.latencies
            }
        }
        total.elapsed = ContinuousClock.now - started
        return total
    }

    /// Sends one request on a fresh connection and returns the status.
    static func single(port: Int, method: HTTPMethod, path: String, body: String) async throws -> Int {
        var status = 0
        try await withConnection(port: port) { inbound, outbound in
            status = try await exchange(inbound: &inbound, outbound: outbound, method: method, path: path, body: ByteBuffer(string: body))
        }
        return status
    }

    typealias Inbound = NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    private static func withConnection(port: Int, _ body: (inout Inbound, Outbound) async throws -> Void) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            try await body(&iterator, outbound)
        }
    }

    private static func exchange(
        inbound: inout Inbound, outbound: Outbound, method: HTTPMethod, path: String, body: ByteBuffer
    ) async throws -> Int {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Authorization", value: "Bearer sk-bench")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(body)), .end(nil)])
        var status = 0
        while let part = try await inbound.next() {
            switch part {
            case .head(let responseHead): status = Int(responseHead.status.code)
            case .body: continue
            case .end: return status
            }
        }
        return status
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// Tenths as a decimal: "123" → "12.3".
    fileprivate var paddedDecimal: String {
        let digits = count < 2 ? String(repeating: "0", count: 2 - count) + self : self
        return String(digits.dropLast()) + "." + String(digits.suffix(1))
    }
}
