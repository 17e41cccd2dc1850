import HTTPTypes
import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small helpers on Hummingbird's types shared by both fakes.
enum HTTPSupport {
    /// Request bodies above this size are refused with 413. Large enough for 2,048 inputs or a
    /// batch of 64 points of 3,072 dimensions.
    static let maxBodyBytes = 64 * 1024 * 1024

    /// The value of header `name` (case-insensitive), if present.
    static func header(_ name: String, in request: Request) -> String? {
        let lowered = name.lowercased()
        return request.headers.first(where: { $0.name.canonicalName == lowered })?.value
    }

    /// Header fields from name/value pairs; a name that is not a valid token is skipped.
    static func fields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }

    /// Sets (replacing) the given headers on `response`.
    static func set(_ pairs: [(String, String)], on response: inout Response) {
        for (name, value) in pairs {
            if let fieldName = HTTPField.Name(name) { response.headers[fieldName] = value }
        }
    }

    /// A response with a JSON body of `bytes`.
    static func json(_ status: Int, _ bytes: [UInt8], headers: [(String, String)] = []) -> Response {
        var fields = self.fields([("content-type", "application/json")] + headers)
        fields[.contentLength] = String(bytes.count)
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A response with a plain-text body.
    static func text(_ status: Int, _ text: String) -> Response {
        let bytes = Array(text.utf8)
        var fields = self.fields([("content-type", "text/plain; charset=utf-8")])
        fields[.contentLength] = String(bytes.count)
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The request body, or nil when it exceeds `maxBodyBytes`.
    static func body(of request: Request) async throws -> [UInt8]? {
        do {
            let buffer = try await request.body.collect(upTo: maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    /// The query parameter `name`, percent-decoded.
    static func query(_ name: String, in request: Request) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// The path split into its non-empty, percent-decoded segments.
    static func pathSegments(of request: Request) -> [String] {
        request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map {
            percentDecoded(String($0))
        }
    }

    /// `text` with `%XX` escapes decoded; malformed escapes are kept as they are.
    static func percentDecoded(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        let bytes = Array(text.utf8)
        var out = [UInt8]()
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 <= bytes.count - 1,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Resets the connection: SO_LINGER 0 makes close send a TCP RST instead of a FIN.
    static func resetConnection(_ channel: any Channel) async {
        if let provider = channel as? any SocketOptionProvider {
            _ = try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        _ = try? await channel.close()
    }
}

/// Thrown after a connection fault so that nothing more is written to the dropped connection.
struct ConnectionDropped: Error {}
