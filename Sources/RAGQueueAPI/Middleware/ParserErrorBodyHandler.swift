import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Gives the 400 that Hummingbird writes for a request it cannot parse (bad request line, header
/// or chunk framing) the API's JSON error body: Hummingbird writes that answer itself, as
/// `400`, `Connection: close` and `Content-Length: 0`, before any route or middleware sees the
/// request. No answer of the API's own has that shape (its errors all have a JSON body), so this
/// handler rewrites only that one. It sits in each connection's pipeline after the HTTP codec.
final class ParserErrorBodyHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The body of the rewritten answer.
    static let body = ByteBuffer.json(APIError.malformedHTTP.body)

    /// Whether the head just written was the parser's empty 400, so its end brings the body first.
    private var owesBody = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where Self.isParserAnswer(head):
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = String(Self.body.readableBytes)
            owesBody = true
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(let trailers) where owesBody:
            owesBody = false
            context.write(wrapOutboundOut(.body(Self.body)), promise: nil)
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    /// Hummingbird's answer to a parser error: 400, closing, with no body.
    static func isParserAnswer(_ head: HTTPResponse) -> Bool {
        head.status == .badRequest && head.headerFields[.contentLength] == "0" && head.headerFields[.connection] == "close"
    }
}
