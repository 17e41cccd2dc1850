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
        case event(JobEvent)
        case tokens([TokenEntry])
        case keepAlive
        case timeout
    }

    let dependencies: APIDependencies
    let id: JobID
    let streamTokens: Bool
    /// The token-stream entry the client saw last (`Last-Event-ID`): only entries after it are sent.
    var resumeAfter: String?

    /// How long one read of the token stream waits for new entries.
    static let tokenWait: Duration = .seconds(5)
    /// Silence after which a comment keeps proxies from closing the stream.
    static let keepAliveInterval: Duration = .seconds(15)

    /// Writes the stream until the job ends, the stream's maximum life passes or the client leaves.
    func run(writer: inout any ResponseBodyWriter) async throws {
        let store = dependencies.store
        let events = store.events(for: id)
        // Subscribed first, then read: a change in between is not missed.
        guard var record = try await dependencies.store.job(id) else {
            try await writer.write(Self.frame(event: "end", data: .object(["id": .string(id.rawValue), "status": .string("expired")])))
            try await writer.finish(nil)
            return
        }
        try await writer.write(statusFrame(record.status))
        var lastToken: String? = resumeAfter
        if !record.status.isTerminal {
            let (items, continuation) = AsyncStream<Item>.makeStream()
            let reader = streamTokens ? store.makeTokenReader(for: id) : nil
            let maximum = dependencies.configuration.limits.eventStreamMaximum
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in events { continuation.yield(.event(event)) }
                }
                if let reader {
                    let after = lastToken
                    group.addTask { await Self.readTokens(reader, after: after, into: continuation) }
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
                    reader?.close()
                    continuation.finish()
                    group.cancelAll()
                }
                loop: for await item in items {
                    switch item {
                    case .event(.tokens):
                        continue  // the token reader reads them
                    case .event(.cancelRequested):
                        try await writer.write(Self.frame(event: "cancel_requested", data: .object(["id": .string(id.rawValue)])))
                    case .event:
                        guard let fresh = try await dependencies.store.job(id) else { break loop }
                        if fresh.status != record.status { try await writer.write(statusFrame(fresh.status)) }
                        record = fresh
                        if record.status.isTerminal { break loop }
                    case .tokens(let tokens):
                        for token in tokens {
                            try await writer.write(Self.frame(token))
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
            for token in (try? await store.tokens(of: id, after: lastToken)) ?? [] {
                try await writer.write(Self.frame(token))
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

    /// The SSE frame relaying a token-stream entry, with the entry's id as the event id.
    static func frame(_ token: TokenEntry) -> ByteBuffer {
        switch token.kind {
        case .attempt(let attempt): frame(event: "reset", data: .object(["attempt": .integer(attempt)]), id: token.id)
        case .text(let text): frame(event: "token", data: .object(["text": .string(text)]), id: token.id)
        case .end(let reason): frame(event: "done", data: .object(["finish_reason": .string(reason)]), id: token.id)
        case .error(let code, let message, let final):
            frame(event: "error", data: .object(["code": .string(code), "message": .string(message), "final": .bool(final)]), id: token.id)
        }
    }

    /// Reads the job's token stream after the entry `after`, waiting for entries as they come,
    /// until its last entry, an error, or the reader's close.
    private static func readTokens(_ reader: any TokenReader, after: String?, into continuation: AsyncStream<Item>.Continuation) async {
        var last = after
        while !Task.isCancelled {
            let tokens: [TokenEntry]
            do {
                tokens = try await reader.next(after: last, timeout: tokenWait)
            } catch {
                return
            }
            guard let newest = tokens.last else { continue }
            last = newest.id
            continuation.yield(.tokens(tokens))
            if tokens.contains(where: \.isLast) { return }
        }
    }
}
