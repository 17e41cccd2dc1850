import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 client over a real TCP socket, so tests see exactly the bytes a fake sends:
/// one request per connection (`Connection: close`), chunked bodies decoded, and the arrival time
/// of every read kept to check a stream's pace.
enum RawHTTP {
    /// A parsed response.
    struct Response: Sendable {
        var status: Int
        /// Header names lowercased; a repeated header keeps its last value.
        var headers: [String: String]
        var body: [UInt8]
        /// Seconds from sending the request to each read of the socket.
        var arrivals: [Double]

        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// Why a request got no parsable response.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends one request to 127.0.0.1:`port` and reads the response until the server closes.
    static func send(
        port: Int,
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> Response {
        let bodyBytes = Array((body ?? "").utf8)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if body != nil || method == "POST" || method == "PUT" {
            head += "Content-Length: \(bodyBytes.count)\r\n"
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { head += "Content-Type: application/json\r\n" }
        }
        head += "\r\n"
        let request = Array(head.utf8) + bodyBytes
        let exchange = try await exchange(port: port, sending: request)
        return try parse(exchange.received, arrivals: exchange.arrivals)
    }

    /// Writes `bytes` to 127.0.0.1:`port` and nothing more, and returns what the server sent before it
    /// closed the connection, with how long that took from the connection attempt: a client that
    /// never finishes its request. A server that closed before the write (this client was slow to
    /// write), or reset the connection, counts as closed too.
    static func hold(port: Int, sending bytes: [UInt8]) async throws -> (received: [UInt8], after: Duration) {
        let exchange = try await exchange(port: port, sending: bytes, abruptCloseIsClose: true)
        return (exchange.received, exchange.after)
    }

    /// Writes `bytes` to 127.0.0.1:`port`, then reads until the server closes: what came, when each
    /// chunk arrived (seconds after the write began), and how long from the connection attempt
    /// until the close. A write refused because the server had already closed, or a reset, is an
    /// error, unless `abruptCloseIsClose`.
    private static func exchange(
        port: Int, sending bytes: [UInt8], abruptCloseIsClose: Bool = false
    ) async throws -> (received: [UInt8], arrivals: [Double], after: Duration) {
        let connecting = ContinuousClock.now
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let started = ContinuousClock.now
        var received = [UInt8]()
        var arrivals = [Double]()
        try await channel.executeThenClose { inbound, outbound in
            do {
                try await outbound.write(ByteBuffer(bytes: bytes))
            } catch ChannelError.ioOnClosedChannel where abruptCloseIsClose {
                return
            }
            do {
                for try await chunk in inbound {
                    received += Array(chunk.readableBytesView)
                    let elapsed = ContinuousClock.now - started
                    arrivals.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                }
            } catch let error as IOError where error.errnoCode == ECONNRESET && abruptCloseIsClose {
                // A server that closes with bytes of ours still unread resets the connection: a close all the same.
            }
        }
        return (received, arrivals, ContinuousClock.now - connecting)
    }

    /// Sends a JSON body to the OpenAI fake with a valid key.
    static func openAI(
        _ server: Int, _ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> Response {
        try await send(port: server, method, path, headers: [("Authorization", "Bearer sk-test")] + headers, body: body)
    }

    static func parse(_ raw: [UInt8], arrivals: [Double]) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = raw.firstRange(of: separator) else {
            throw Failure(description: "no complete response head in \(raw.count) bytes")
        }
        let headText = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
        var headers = [String: String]()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingPrefix(" ").description
        }
        var body = Array(raw[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: body, arrivals: arrivals)
    }

    private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out = [UInt8]()
        var index = 0
        while index < bytes.count {
            guard let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { throw Failure(description: "bad chunk size") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard start + size <= bytes.count else { throw Failure(description: "truncated chunk") }
            out += bytes[start..<(start + size)]
            index = start + size + 2
        }
        return out
    }
}
