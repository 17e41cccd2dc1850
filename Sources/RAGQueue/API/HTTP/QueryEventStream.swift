import Foundation
import Hummingbird
import RAGQueue

/// One `GET /v1/queries/{id}/events` stream: Server-Sent Events of the job's status changes and,
/// for streamed queries, of the answer's tokens as the worker appends them to the job's Valkey
/// stream. It ends, with an `end` event carrying the whole query, when the job ends.
///
/// Events: `status` (`{"id","status"}`), `cancel_requested`; from the token stream (`id:` = the
/// entry's id, see `docs/streaming.md`) `reset` (`{"attempt"}`), `token` (`{"text"}`), `done`
/// (`{"finish_reason"}`), `error` (`{"code","message","final"}`); last `end` (the v1 view).
/// A `: keep-alive` comment goes out every 15 s of silence.
///
/// Only token-stream events carry an `id:`, so the id a reconnecting client sends back
/// (`Last-Event-ID`) is always an entry of the job's token stream; the stream then resumes with the
/// entries after it (`resumeAfter`) instead of replaying the answer from its start.
struct QueryEventStream: Sendable {
    private enum Item: Sendable {
        case event(JobEvents.Event)
        case tokens([Token], ended: Bool)
        case keepAlive
        case timeout
    }

    /// One entry of the job's token stream (format in `docs/streaming.md`).
    struct Token: Sendable, Hashable {
        /// What the entry says.
        enum Kind: Sendable, Hashable {
            /// An attempt starts: clients drop the text shown so far.
            case attempt(Int)
            /// The next piece of the answer.
            case text(String)
            /// The answer is complete.
            case end(finishReason: String)
            /// The attempt failed; `final` when no attempt follows.
            case error(code: String, message: String, final: Bool)
        }

        /// The stream entry's id.
        var id: String
        /// What it says.
        var kind: Kind

        /// Whether nothing follows this entry.
        var isLast: Bool {
            switch kind {
            case .end: true
            case .error(_, _, let final): final
            case .attempt, .text: false
            }
        }

        /// The SSE frame relaying it.
        var frame: ByteBuffer {
            switch kind {
            case .attempt(let attempt): QueryEventStream.frame(event: "reset", data: .object(["attempt": .integer(attempt)]), id: id)
            case .text(let text): QueryEventStream.frame(event: "token", data: .object(["text": .string(text)]), id: id)
            case .end(let reason): QueryEventStream.frame(event: "done", data: .object(["finish_reason": .string(reason)]), id: id)
            case .error(let code, let message, let final):
                QueryEventStream.frame(event: "error", data: .object(["code": .string(code), "message": .string(message), "final": .bool(final)]), id: id)
            }
        }
    }

    let dependencies: APIDependencies
    let id: JobID
    let streamTokens: Bool
    /// The token-stream entry the client saw last (`Last-Event-ID`): only entries after it are sent.
    var resumeAfter: String?

    /// How long one `XREAD BLOCK` waits on the server.
    static let tokenBlock: Duration = .seconds(5)
    /// Silence after which a comment keeps proxies from closing the stream.
    static let keepAliveInterval: Duration = .seconds(15)

    /// Writes the stream until the job ends, the stream's maximum life passes or the client leaves.
    func run(writer: inout any ResponseBodyWriter) async throws {
        let events = dependencies.events.events(for: id)
        // Subscribed first, then read: a change in between is not missed.
        guard var record = try await dependencies.store.job(id) else {
            try await writer.write(Self.frame(event: "end", data: .object(["id": .string(id.rawValue), "status": .string("expired")])))
            try await writer.finish(nil)
            return
        }
        try await writer.write(statusFrame(record.status))
        var lastToken = resumeAfter ?? "0-0"
        if !record.status.isTerminal {
            let (items, continuation) = AsyncStream<Item>.makeStream()
            let connection = streamTokens ? dependencies.valkey.dedicatedConnection(blockingFor: Self.tokenBlock, label: "valkey.tokens") : nil
            let maximum = dependencies.configuration.limits.eventStreamMaximum
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in events { continuation.yield(.event(event)) }
                }
                if let connection {
                    let key = dependencies.keys.tokens(id)
                    let after = lastToken
                    group.addTask { await Self.readTokens(connection: connection, key: key, after: after, into: continuation) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: Self.keepAliveInterval)
                        continuation.yield(.keepAlive)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: maximum)
                    continuation.yield(.timeout)
                }
                defer {
                    connection?.close()
                    continuation.finish()
                    group.cancelAll()
                }
                loop: for await item in items {
                    switch item {
                    case .event(.cancelRequested):
                        try await writer.write(Self.frame(event: "cancel_requested", data: .object(["id": .string(id.rawValue)])))
                    case .event:
                        guard let fresh = try await dependencies.store.job(id) else { break loop }
                        if fresh.status != record.status { try await writer.write(statusFrame(fresh.status)) }
                        record = fresh
                        if record.status.isTerminal { break loop }
                    case .tokens(let tokens, _):
                        for token in tokens {
                            try await writer.write(token.frame)
                            lastToken = token.id
                        }
                    case .keepAlive:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .timeout:
                        break loop
                    }
                }
            }
        }
        if streamTokens && record.status.isTerminal {
            // Tokens written just before the end may not have been read yet.
            for token in (try? await remainingTokens(after: lastToken)) ?? [] {
                try await writer.write(token.frame)
            }
        }
        // An ended job's record no longer changes: only a stream that timed out reads it again.
        let final = record.status.isTerminal ? record : (try await dependencies.store.job(id) ?? record)
        try await writer.write(Self.frame(event: final.status.isTerminal ? "end" : "timeout", data: QueryView.v1(final)))
        try await writer.finish(nil)
    }

    private func statusFrame(_ status: JobStatus) -> ByteBuffer {
        Self.frame(event: "status", data: .object(["id": .string(id.rawValue), "status": .string(status.rawValue)]))
    }

    /// One SSE frame; the data is one line of JSON.
    static func frame(event: String, data: JSONValue, id: String? = nil) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = (try? encoder.encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var frame = "event: \(event)\n"
        if let id { frame += "id: \(id)\n" }
        frame += "data: \(text)\n\n"
        return ByteBuffer(string: frame)
    }

    /// Reads the job's token stream after the entry `after` with `XREAD BLOCK` on its own
    /// connection until the end entry, an error, or `close()`.
    private static func readTokens(connection: ValkeyConnection, key: String, after: String, into continuation: AsyncStream<Item>.Continuation) async {
        var last = after
        while !Task.isCancelled {
            let reply: ValkeyReply
            do {
                reply = try await connection.send(ValkeyCommand(
                    "XREAD", "COUNT", 256, "BLOCK", Int(tokenBlock.seconds * 1000), "STREAMS", key, last
                ))
            } catch {
                return
            }
            guard case .array(let streams) = reply, let entries = streams.first?.array?.last?.array else { continue }
            let (tokens, ended) = parse(entries)
            if let newest = tokens.last?.id ?? lastID(entries) { last = newest }
            continuation.yield(.tokens(tokens, ended: ended))
            if ended { return }
        }
    }

    /// Tokens after `id`, read without blocking.
    private func remainingTokens(after id: String) async throws -> [Token] {
        let reply = try await dependencies.valkey.send("XRANGE", dependencies.keys.tokens(self.id), "(" + id, "+")
        return Self.parse(reply.array ?? []).tokens
    }

    /// `text` when it is a stream entry id as this stream sends them (`<milliseconds>-<sequence>`),
    /// which Valkey then accepts in `XREAD` and `XRANGE`; nil for anything else.
    static func entryID(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } && UInt64($0) != nil })
        else { return nil }
        return text
    }

    /// Entries as tokens, and whether one of them is the last of the stream.
    static func parse(_ entries: [ValkeyReply]) -> (tokens: [Token], ended: Bool) {
        var tokens: [Token] = []
        for entry in entries {
            guard let parts = entry.array, parts.count == 2, let entryID = parts[0].string, let list = parts[1].array else { continue }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < list.count {
                if let name = list[index].string, let value = list[index + 1].string { fields[name] = value }
                index += 2
            }
            if let attempt = fields["attempt"].flatMap({ Int($0) }) {
                tokens.append(Token(id: entryID, kind: .attempt(attempt)))
            } else if let text = fields["text"] {
                tokens.append(Token(id: entryID, kind: .text(text)))
            } else if let reason = fields["end"] {
                tokens.append(Token(id: entryID, kind: .end(finishReason: reason)))
            } else if let code = fields["error"] {
                tokens.append(Token(id: entryID, kind: .error(code: code, message: fields["message"] ?? "", final: fields["final"] == "1")))
            }
        }
        return (tokens, tokens.contains(where: \.isLast))
    }

    private static func lastID(_ entries: [ValkeyReply]) -> String? {
        entries.last?.array?.first?.string
    }
}
