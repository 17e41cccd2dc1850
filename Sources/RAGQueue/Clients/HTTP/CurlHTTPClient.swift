import Logging

/// An HTTP/1.1 and HTTP/2 client on libcurl's multi interface, driven by one thread of its own.
///
/// Any number of requests can be in flight from one process without a thread each. Connections are
/// kept alive and reused across calls; TLS verification is on; proxies come from the environment
/// (`http_proxy`, `https_proxy`, `no_proxy`) as libcurl reads them. Cancelling the calling task
/// aborts its transfer and throws `CancellationError`. Transport failures throw `HTTPClientError`;
/// HTTP error statuses are returned as responses.
///
/// Call `shutdown()` when done (or run the client as a `Service`); dropping the last reference
/// also stops its thread.
public final class CurlHTTPClient: Sendable {
    /// How the client behaves; every time is a `Duration`.
    public struct Configuration: Sendable, Hashable {
        /// Default whole-call deadline, from start to last body byte; default 60 s. Requests may override it.
        public var timeout: Duration = .seconds(60)
        /// Default deadline for the TCP and TLS connect; default 10 s. Requests may override it.
        public var connectTimeout: Duration = .seconds(10)
        /// Most connections open to one host at a time; 0 (default) means no limit. Extra requests wait.
        public var maxConnectionsPerHost: Int = 0
        /// Most connections kept open for reuse, counting those in use; when a call ends above it,
        /// the oldest idle one closes. Default 256; 0 keeps libcurl's own (4 x transfers in flight,
        /// which after a burst of thousands leaves thousands open).
        public var maxCachedConnections: Int = 256
        /// Connections idle longer than this are not reused but closed; default 60 s.
        public var maxIdleTime: Duration = .seconds(60)
        /// Largest body `execute` will buffer, in bytes; default 64 MiB. Streams are not limited.
        public var maxResponseBytes: Int = 64 * 1024 * 1024
        /// `User-Agent` sent when a request sets none; default `RAGQueue`.
        public var userAgent: String = "RAGQueue"
        /// Whether to ask for gzip/deflate/brotli bodies (decoded before delivery); default true.
        public var acceptCompressedResponses: Bool = true
        /// A PEM bundle of CA certificates to trust instead of the system's; default nil (system store).
        public var caBundlePath: String? = nil
        /// How many idle easy handles to keep for reuse; default 64.
        public var idleHandlePoolSize: Int = 64

        /// Creates the default configuration.
        public init() {}
    }

    /// The configuration the client was created with.
    public let configuration: Configuration
    private let loop: CurlMultiLoop
    private let logger: Logger

    /// Creates a client and starts its thread; throws when libcurl cannot be initialised.
    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "ragqueue.http")) throws {
        self.configuration = configuration
        self.logger = logger
        self.loop = try CurlMultiLoop(configuration: configuration, logger: logger)
        self.loop.start()
    }

    deinit {
        self.loop.requestShutdown()
    }

    /// The client's thread as a task executor: tasks that mostly wait on this client's calls run
    /// there, so a call's response resumes them without a hop between threads (`CurlMultiLoop`).
    public var taskExecutor: any TaskExecutor { loop }

    /// Whether the caller runs on the client's thread (as tasks preferring `taskExecutor` do).
    var isCurrentThread: Bool { loop.isCurrentThread }

    /// Sends a request and returns the complete response, whatever its status.
    ///
    /// Throws `HTTPClientError` when no response arrives (connect failure, timeout, TLS, ...),
    /// and `CancellationError` when the calling task is cancelled. It takes the request: passed
    /// with `consume`, its body is held only by libcurl (which copies it) while the answer is
    /// awaited, not also by the caller.
    public func execute(_ request: consuming HTTPClientRequest) async throws -> HTTPClientResponse {
        let transfer = CurlTransfer(request: request, maxResponseBytes: self.configuration.maxResponseBytes)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPClientResponse, any Error>) in
                transfer.sink = .buffered(continuation)
                if !loop.submit(.start(transfer)) {
                    transfer.sink = nil
                    continuation.resume(throwing: HTTPClientError(.shutdown, message: "the HTTP client was shut down"))
                }
            }
        } onCancel: {
            loop.submit(.cancel(transfer))
        }
    }

    /// Sends a request and returns as soon as the response head is in; the body follows as a stream.
    ///
    /// Iterate `body` to the end, or stop iterating (cancel the task) to abort the transfer. The
    /// request's timeout covers the whole stream.
    public func stream(_ request: consuming HTTPClientRequest) async throws -> HTTPClientStreamingResponse {
        let transfer = CurlTransfer(request: request, maxResponseBytes: .max)
        let loop = self.loop
        let (stream, body) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        body.onTermination = { termination in
            if case .cancelled = termination {
                loop.submit(.cancel(transfer))
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<HTTPClientStreamingResponse, any Error>) in
                transfer.sink = .streaming(head: continuation, stream: stream, body: body)
                if !loop.submit(.start(transfer)) {
                    transfer.sink = nil
                    let error = HTTPClientError(.shutdown, message: "the HTTP client was shut down")
                    body.finish(throwing: error)
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            loop.submit(.cancel(transfer))
        }
    }

    /// Fails every request in flight with `.shutdown`, stops the thread and waits for it to let go.
    public func shutdown() async {
        await self.loop.shutdown()
    }
}
