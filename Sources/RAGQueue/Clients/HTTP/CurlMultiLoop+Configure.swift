import CCurlHelpers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CurlMultiLoop {
    /// Sets every option of `easy` for `transfer`'s request (loop thread).
    func configure(_ easy: CurlEasyHandle, for transfer: CurlTransfer) throws(HTTPClientError) {
        let request = transfer.request
        try easy.attachErrorBuffer()
        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? self.configuration.timeout))
        try easy.set(
            CURLOPT_CONNECTTIMEOUT_MS,
            Self.milliseconds(request.connectTimeout ?? self.configuration.connectTimeout)
        )
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        // libcurl's receive buffer is 16 KiB per transfer; answers here are a few KiB and arrive in
        // pieces anyway, and with thousands of calls in flight the buffers were a fifth of the memory.
        // libcurl refuses a new size while a reused handle still holds its old buffer (a handle
        // whose last request failed before it was sent): that handle keeps the default, which
        // costs only memory, so the refusal is not an error of the request.
        _ = try? easy.set(CURLOPT_BUFFERSIZE, 4096)
        try easy.set(CURLOPT_MAXAGE_CONN, max(1, Int(self.configuration.maxIdleTime.components.seconds)))
        // Proxy CONNECT responses would otherwise reach the header callback as a first response head.
        try easy.set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        if self.configuration.acceptCompressedResponses {
            // "" asks for every encoding this libcurl can decode; bodies arrive decoded.
            try easy.set(CURLOPT_ACCEPT_ENCODING, "")
        }
        if let caBundlePath = self.configuration.caBundlePath {
            try easy.set(CURLOPT_CAINFO, caBundlePath)
        }

        let userdata = Unmanaged.passUnretained(transfer).toOpaque()
        try easy.set(CURLOPT_WRITEFUNCTION, callback: curlTransferWriteCallback)
        try easy.set(CURLOPT_WRITEDATA, pointer: userdata)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: curlTransferHeaderCallback)
        try easy.set(CURLOPT_HEADERDATA, pointer: userdata)

        try self.setHeaders(of: request, on: easy, transfer: transfer)
        try self.setMethodAndBody(of: request, on: easy)
    }

    private func setHeaders(
        of request: HTTPClientRequest,
        on easy: CurlEasyHandle,
        transfer: CurlTransfer
    ) throws(HTTPClientError) {
        var lines: [String] = []
        for field in request.headers {
            // Checked per scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
            let unsafe: (Unicode.Scalar) -> Bool = { $0 == "\r" || $0 == "\n" || $0 == "\0" }
            guard !field.name.isEmpty, !field.name.unicodeScalars.contains(where: unsafe),
                !field.value.unicodeScalars.contains(where: unsafe), !field.name.contains(":")
            else {
                throw HTTPClientError(.invalidRequest, message: "header field is empty or contains a line break or colon")
            }
            // "Name;" is libcurl's way to send a header with an empty value.
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if !request.headers.contains("User-Agent") {
            lines.append("User-Agent: \(self.configuration.userAgent)")
        }
        if !request.headers.contains("Expect") {
            // libcurl would wait up to a second for "100 Continue" before sending larger bodies.
            lines.append("Expect:")
        }
        for line in lines {
            guard let list = line.withCString({ curl_slist_append(transfer.headerList, $0) }) else {
                throw HTTPClientError(.internalError, message: "curl_slist_append failed")
            }
            transfer.headerList = list
        }
        try easy.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(transfer.headerList))
    }

    private func setMethodAndBody(of request: HTTPClientRequest, on easy: CurlEasyHandle) throws(HTTPClientError) {
        switch request.method {
        case .get where request.body == nil:
            try easy.set(CURLOPT_HTTPGET, 1)
        case .head:
            try easy.set(CURLOPT_NOBODY, 1)
        case .post:
            try easy.set(CURLOPT_POST, 1)
            try self.setBody(request, on: easy)
        default:
            try easy.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            if request.body != nil {
                try self.setBody(request, on: easy)
            }
        }
    }

    private func setBody(_ request: HTTPClientRequest, on easy: CurlEasyHandle) throws(HTTPClientError) {
        let body = request.body ?? .init()
        let result: Result<Void, HTTPClientError> = body.withUnsafeBytes { bytes in
            do throws(HTTPClientError) {
                try easy.setBody(bytes)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Whole milliseconds, at least 1 so that a tiny timeout never means "no timeout" (libcurl's 0).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int(max(1, millis))
    }
}
