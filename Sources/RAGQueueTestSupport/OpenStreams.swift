import Foundation

/// Many Server-Sent Events streams held open against the API, as that many patient clients would:
/// each a socket of its own that sent one `GET /v1/queries/{id}/events` and read the response head.
/// Blocking socket calls run on a dispatch thread, off the cooperative pool. The sockets close
/// when `close()` is called (or the process ends). Used by `ragsim bench-api --streams` and by
/// the tests of the API's connection limits.
public struct OpenStreams: Sendable {
    /// Why a stream could not be opened.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The open sockets.
    public let descriptors: [Int32]

    /// How many are open.
    public var count: Int { descriptors.count }

    /// Opens one stream per path in `paths` to 127.0.0.1:`port`; throws on the first refused one
    /// (closing those opened before it).
    public static func open(port: Int, paths: [String]) async throws -> OpenStreams {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var descriptors: [Int32] = []
                do {
                    for path in paths { descriptors.append(try Self.connect(port: port, path: path)) }
                    continuation.resume(returning: OpenStreams(descriptors: descriptors))
                } catch {
                    OpenStreams(descriptors: descriptors).close()
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Closes every socket.
    public func close() {
        for descriptor in descriptors { _ = Foundation.close(descriptor) }
    }

    /// Raises this process's open-file limit to its hard limit, so that thousands of sockets fit
    /// (children, such as the API it starts, inherit it). A limit it cannot raise shows later, as
    /// `socket()` failing with a message that says so.
    public static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    private static func connect(port: Int, path: String) throws -> Int32 {
        // Close-on-exec: a child started later (wrk) must not inherit thousands of sockets.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed (errno \(errno)): raise the open-file limit") }
        let connected = LoopbackAddress.with(port: port) { Foundation.connect(descriptor, $0, $1) }
        guard connected == 0 else {
            _ = Foundation.close(descriptor)
            throw Failure(description: "connect to the API failed (errno \(errno)) after opening some streams")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var head = [UInt8](repeating: 0, count: 512)
        let read = sent == request.count ? recv(descriptor, &head, head.count, 0) : -1
        let text = read > 0 ? String(decoding: head[..<read], as: UTF8.self) : ""
        guard text.hasPrefix("HTTP/1.1 200") else {
            _ = Foundation.close(descriptor)
            throw Failure(description: "an event stream was refused: \(text.split(separator: "\r\n").first ?? "no answer")")
        }
        return descriptor
    }
}
