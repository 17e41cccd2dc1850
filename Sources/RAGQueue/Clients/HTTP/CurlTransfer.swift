import CCurlHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request's life inside the multi loop: its easy handle, the response as it arrives, and
/// where to deliver the outcome.
///
/// `@unchecked Sendable`: the creating task fills `request` and `sink` and then hands the transfer
/// to the loop through the loop's mutex-protected inbox; from then on only the loop's thread reads
/// or writes its mutable state. Other threads only hold the reference (to ask for cancellation).
final class CurlTransfer: @unchecked Sendable {
    /// Where the outcome goes.
    enum Sink {
        /// Deliver the whole response at the end.
        case buffered(CheckedContinuation<HTTPClientResponse, any Error>)
        /// Deliver the head as soon as the headers are in, then the body chunk by chunk.
        case streaming(
            head: CheckedContinuation<HTTPClientStreamingResponse, any Error>,
            stream: AsyncThrowingStream<[UInt8], any Error>,
            body: AsyncThrowingStream<[UInt8], any Error>.Continuation
        )
    }

    /// Its body only until libcurl has its copy (`CurlMultiLoop.begin`): a request passed on with
    /// `consume` is then held once, not twice, while the answer is awaited.
    var request: HTTPClientRequest
    let maxResponseBytes: Int

    // Loop-thread state from here on.
    var sink: Sink?
    var easy: CurlEasyHandle?
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// Set once the loop has seen the start command.
    var started = false
    /// Set when a cancel arrives before the start, so the start fails at once.
    var cancelledBeforeStart = false
    private var status = 0
    private var headers = HTTPClientHeaders()
    private var body = Data()
    private var headDelivered = false
    /// Why this client aborted the transfer from a callback, if it did.
    private var abortReason: HTTPClientError?

    init(request: HTTPClientRequest, maxResponseBytes: Int) {
        self.request = request
        self.maxResponseBytes = maxResponseBytes
    }

    // MARK: Callbacks (loop thread, inside curl_multi_socket_action)

    /// Handles one header line (status line, field or the blank line ending the block).
    /// Returns false to abort the transfer.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Byte by byte: a header line is ASCII but for rare values, and Character-level string
        // work (grapheme breaking) on every line of every response costs more than the rest of it.
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "\r") || bytes[end - 1] == UInt8(ascii: "\n") {
            end -= 1
        }
        let line = bytes[..<end]
        if line.starts(with: "HTTP/".utf8) {
            // A new response head begins (after a 1xx, say): forget the previous one.
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
            self.status = parts.count > 1 ? Int(String(decoding: parts[1], as: UTF8.self)) ?? 0 : 0
            self.headers = HTTPClientHeaders()
        } else if line.isEmpty {
            if self.status >= 200 {
                self.deliverHeadIfStreaming()
            }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = Self.trimmed(line[..<colon])
            let value = Self.trimmed(line[(colon + 1)...])
            self.headers.add(name: name, value: value)
        }
        return true
    }

    /// The text of `bytes` without the spaces and tabs around it.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
            let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// Handles one piece of body. Returns false to abort the transfer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch self.sink {
        case .buffered:
            guard self.body.count + bytes.count <= self.maxResponseBytes else {
                self.abortReason = HTTPClientError(
                    .responseTooLarge,
                    message: "response body exceeds \(self.maxResponseBytes) bytes"
                )
                return false
            }
            self.body.append(contentsOf: bytes)
            return true
        case .streaming(_, _, let continuation):
            self.deliverHeadIfStreaming()
            if case .terminated = continuation.yield(Array(bytes)) {
                self.abortReason = HTTPClientError(.cancelled, message: "the response body's consumer went away")
                return false
            }
            return true
        case nil:
            return false
        }
    }

    private func deliverHeadIfStreaming() {
        guard !self.headDelivered, case .streaming(let head, let stream, _) = self.sink else { return }
        self.headDelivered = true
        head.resume(returning: HTTPClientStreamingResponse(status: self.status, headers: self.headers, body: stream))
    }

    // MARK: Outcome (loop thread)

    /// Delivers the outcome of a transfer that libcurl finished with `result`.
    func complete(result: CURLcode) {
        if result == CURLE_OK {
            self.succeed()
        } else if let reason = self.abortReason {
            self.fail(reason)
        } else {
            self.fail(HTTPClientError.fromCurl(result, detail: self.easy?.errorText ?? ""))
        }
    }

    /// Delivers a successful outcome.
    private func succeed() {
        switch self.sink.take() {
        case .buffered(let continuation):
            continuation.resume(returning: HTTPClientResponse(status: self.status, headers: self.headers, body: self.body))
        case .streaming(let head, let stream, let body):
            if !self.headDelivered {
                self.headDelivered = true
                head.resume(
                    returning: HTTPClientStreamingResponse(status: self.status, headers: self.headers, body: stream)
                )
            }
            body.finish()
        case nil:
            break
        }
    }

    /// Delivers a failure: `HTTPClientError`, or `CancellationError` when the caller cancelled.
    func fail(_ error: any Error) {
        switch self.sink.take() {
        case .buffered(let continuation):
            continuation.resume(throwing: error)
        case .streaming(let head, _, let body):
            if !self.headDelivered {
                self.headDelivered = true
                head.resume(throwing: error)
            }
            body.finish(throwing: error)
        case nil:
            break
        }
    }
}

/// libcurl's CURLOPT_WRITEFUNCTION: `userdata` is an unretained `CurlTransfer` kept alive by the loop.
let curlTransferWriteCallback: rq_curl_data_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let total = size * count
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}

/// libcurl's CURLOPT_HEADERFUNCTION: one header line per call, CRLF included.
let curlTransferHeaderCallback: rq_curl_data_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let total = size * count
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}
