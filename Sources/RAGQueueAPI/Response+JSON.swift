import Foundation
import Hummingbird
import RAGQueue

extension Response {
    /// A JSON response of `value` with `status`.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: value.jsonBytes, status: status)
    }

    /// A JSON response of bytes that are JSON already, with `status`.
    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A plain response with `contentType` and `text`.
    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

extension ByteBuffer {
    /// `value` as JSON, keys sorted.
    static func json(_ value: JSONValue) -> ByteBuffer {
        ByteBuffer(bytes: value.jsonBytes)
    }
}
