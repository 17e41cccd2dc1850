#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A complete HTTP response: status, headers and the whole body.
public struct HTTPClientResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// The response header fields of the final response (interim 1xx responses are dropped).
    public var headers: HTTPClientHeaders
    /// The body bytes, decoded from any `Content-Encoding` the client asked for.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: HTTPClientHeaders, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is in 200...299.
    public var isSuccess: Bool { (200..<300).contains(self.status) }
}

/// An HTTP response whose body arrives as chunks while the transfer runs.
///
/// Stop iterating `body` (or cancel the iterating task) to abort the transfer.
public struct HTTPClientStreamingResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// The response header fields.
    public var headers: HTTPClientHeaders
    /// The body as it arrives, in chunks of whatever size the network delivers.
    /// Finishes at the end of the body, or throws `HTTPClientError`.
    public var body: AsyncThrowingStream<[UInt8], any Error>

    /// Creates a streaming response.
    public init(status: Int, headers: HTTPClientHeaders, body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is in 200...299.
    public var isSuccess: Bool { (200..<300).contains(self.status) }

    /// Reads the rest of the body into one buffer, failing when it grows past `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> Data {
        var data = Data()
        for try await chunk in self.body {
            guard data.count + chunk.count <= maxBytes else {
                throw HTTPClientError(.responseTooLarge, message: "response body exceeds \(maxBytes) bytes")
            }
            data.append(contentsOf: chunk)
        }
        return data
    }
}
