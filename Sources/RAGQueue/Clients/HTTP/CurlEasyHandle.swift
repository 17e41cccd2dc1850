import CCurlHelpers

/// Owns one libcurl easy handle (`CURL *`) and its error buffer.
///
/// Not thread-safe, like the handle itself: only the multi loop's thread uses it once it is set up.
final class CurlEasyHandle {
    /// The `CURL *`.
    let raw: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates a handle, or returns nil when libcurl cannot allocate one.
    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(self.raw)
        self.errorBuffer.deallocate()
    }

    /// Returns the handle to its freshly created state; live connections stay in the multi handle's cache.
    func reset() {
        curl_easy_reset(self.raw)
        self.errorBuffer[0] = 0
    }

    /// Points libcurl's error text at this handle's buffer; `reset()` forgets it, so call again after.
    func attachErrorBuffer() throws(HTTPClientError) {
        self.errorBuffer[0] = 0
        try Self.check(rq_easy_setopt_pointer(self.raw, CURLOPT_ERRORBUFFER, self.errorBuffer), CURLOPT_ERRORBUFFER)
    }

    /// The text libcurl left in the error buffer for the last failure, or "".
    var errorText: String {
        String(cString: self.errorBuffer)
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try Self.check(rq_easy_setopt_long(self.raw, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        // libcurl copies string options (CURLOPT_POSTFIELDS excepted, which this client never uses).
        let result = value.withCString { rq_easy_setopt_string(self.raw, option, $0) }
        try Self.check(result, option)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try Self.check(rq_easy_setopt_pointer(self.raw, option, pointer), option)
    }

    func set(_ option: CURLoption, offset: Int64) throws(HTTPClientError) {
        try Self.check(rq_easy_setopt_off_t(self.raw, option, curl_off_t(offset)), option)
    }

    func set(_ option: CURLoption, callback: rq_curl_data_callback) throws(HTTPClientError) {
        try Self.check(rq_easy_setopt_data_callback(self.raw, option, callback), option)
    }

    /// Copies `bytes` into libcurl as the request body (CURLOPT_COPYPOSTFIELDS); binary-safe.
    func setBody(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) {
        try self.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(bytes.count))
        let result: CURLcode
        if let base = bytes.baseAddress, bytes.count > 0 {
            result = rq_easy_setopt_pointer(self.raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
        } else {
            result = rq_easy_setopt_string(self.raw, CURLOPT_COPYPOSTFIELDS, "")
        }
        try Self.check(result, CURLOPT_COPYPOSTFIELDS)
    }

    private static func check(_ result: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard result == CURLE_OK else {
            throw HTTPClientError.fromCurl(result, detail: "setting curl option \(option.rawValue) failed")
        }
    }
}

/// Owns one libcurl multi handle (`CURLM *`) and its readiness loop (`rq_events`: an epoll set
/// of the sockets libcurl watches, its timeout, and an eventfd to wake it).
///
/// `@unchecked Sendable`: only the multi loop's thread calls into the handle, except `wakeup()`,
/// which writes to the eventfd and is safe from any thread.
final class CurlMultiHandle: @unchecked Sendable {
    /// The `CURLM *`.
    let raw: UnsafeMutableRawPointer
    private let events: OpaquePointer

    /// Creates a multi handle and its loop, or returns nil when libcurl cannot allocate one or the
    /// system refuses an epoll set or an eventfd.
    init?() {
        guard let raw = curl_multi_init() else { return nil }
        guard let events = rq_events_new(raw) else {
            curl_multi_cleanup(raw)
            return nil
        }
        self.raw = raw
        self.events = events
    }

    deinit {
        // The cleanup may still tell the loop to stop watching sockets: free the loop after it.
        curl_multi_cleanup(self.raw)
        rq_events_free(self.events)
    }

    /// Interrupts a `wait` in progress, or makes the next one return at once.
    func wakeup() {
        rq_events_wakeup(self.events)
    }

    /// Blocks until a socket of a transfer is ready, libcurl's next timeout falls due, `wakeup()`
    /// is called or `maximum` milliseconds pass; hands libcurl what happened. The loop's thread only.
    func wait(maximum milliseconds: Int32) -> CURLMcode {
        rq_events_wait(self.events, milliseconds)
    }

    func set(_ option: CURLMoption, _ value: Int) {
        _ = rq_multi_setopt_long(self.raw, option, value)
    }
}
