/// One server-sent event: the joined `data:` lines and the optional `event:` and `id:` fields.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or nil when the event has none.
    public var event: String?
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The `id:` field, or nil.
    public var id: String?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental `text/event-stream` parser: feed it bytes as they arrive, get complete events.
///
/// Lines end with `\n`, `\r\n` or `\r` (also when split across chunks); lines starting with `:` are
/// comments; `field:value` drops one space after the colon; a blank line ends an event.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var data: [String] = []
    private var hasData = false
    private var event: String?
    private var id: String?

    /// Creates an empty parser.
    public init() {}

    /// Consumes `bytes` and returns every event they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                if self.lastWasCR {
                    // Second half of a CRLF that the CR already ended.
                    self.lastWasCR = false
                    continue
                }
                self.endLine(into: &events)
            case UInt8(ascii: "\r"):
                self.endLine(into: &events)
                self.lastWasCR = true
                continue
            default:
                self.line.append(byte)
            }
            self.lastWasCR = false
        }
        return events
    }

    /// Ends the stream: returns the event still being built if it has data (tolerating a missing blank line).
    public mutating func finish() -> ServerSentEvent? {
        var events: [ServerSentEvent] = []
        if !self.line.isEmpty {
            self.endLine(into: &events)
        }
        self.dispatch(into: &events)
        return events.first
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) {
        defer { self.line.removeAll(keepingCapacity: true) }
        if self.line.isEmpty {
            self.dispatch(into: &events)
            return
        }
        if self.line.first == UInt8(ascii: ":") {
            return
        }
        let field: String
        var value: String
        if let colon = self.line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: self.line[..<colon], as: UTF8.self)
            var start = colon + 1
            if start < self.line.endIndex, self.line[start] == UInt8(ascii: " ") {
                start += 1
            }
            value = String(decoding: self.line[start...], as: UTF8.self)
        } else {
            field = String(decoding: self.line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data":
            self.data.append(value)
            self.hasData = true
        case "event":
            self.event = value
        case "id":
            value.removeAll { $0 == "\0" }
            self.id = value
        default:
            break
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        defer {
            self.data.removeAll()
            self.hasData = false
            self.event = nil
        }
        guard self.hasData else { return }
        events.append(ServerSentEvent(event: self.event, data: self.data.joined(separator: "\n"), id: self.id))
    }
}
