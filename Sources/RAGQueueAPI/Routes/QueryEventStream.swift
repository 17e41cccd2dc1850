import Foundation
import Hummingbird
import RAGQueue
import Synchronization

/// One `GET /v1/queries/{id}/events` stream: Server-Sent Events of the job's status changes and,
/// for streamed queries, of the answer's tokens as the worker appends them to the job's Valkey
/// stream. It ends, with an `end` event carrying the whole query, when the job ends.
///
/// Events: `status` (`{"id","status"}`), `cancel_requested`; from the token stream (`id:` = the
/// entry's id, see `docs/streaming.md`) `reset` (`{"attempt"}`), `token` (`{"text"}`), `done`
/// (`{"finish_reason"}`), `error` (`{"code","message","final"}`); last `end` (the v1 view).
/// A `: keep-alive` comment goes out about every 15 s (`StreamTimers`).
///
/// Only token-stream events carry an `id:`, so the id a reconnecting client sends back
/// (`Last-Event-ID`) is always an entry of the job's token stream; the stream then resumes with the
/// entries after it (`resumeAfter`) instead of replaying the answer from its start.
///
/// A client that leaves (closes its connection or resets it) ends the stream at once, which frees
/// its connection and its open-wait slot: the stream does not wait for its next keep-alive write
/// to fail.
///
/// A query that follows the same question in flight (`coalesced_with`) streams its leader: the
/// leader's status (`started` while it runs) and, when the leader streams its answer, the leader's
/// tokens; its own `end` closes the stream. If the leader is canceled, the stream follows the query
/// that takes over (or the query itself when it is the heir), whose tokens begin with a `reset`.
///
/// An open stream costs no task, thread or Valkey connection of its own: it waits in its
/// connection's task on one `AsyncStream`, fed by the store's event registry (the process's one
/// events subscription) and by the process's stream timers; tokens are read (`XRANGE`) when the
/// job's `tokens` event says there are new ones.
struct QueryEventStream: Sendable {
    private enum Item: Sendable {
        case event(JobEvent)
        /// An event of the job this one follows.
        case leaderEvent(JobEvent)
        case keepAlive
        case expired
    }

    /// Where the stream stands: the job as last read (as its submitter sees it), the job whose
    /// tokens it relays and the last of its token entries sent, and the observation of the leader
    /// it follows.
    private struct Progress {
        var record: JobRecord
        var tokenSource: JobID
        var lastToken: String?
        var leader: (id: JobID, observation: EventObservation)?
    }

    let dependencies: APIDependencies
    let id: JobID
    let streamTokens: Bool
    /// The token-stream entry the client saw last (`Last-Event-ID`): only entries after it are sent.
    var resumeAfter: String?

    /// Time between keep-alive comments.
    static let keepAliveInterval: Duration = .seconds(15)

    /// Writes the stream until the job ends, the stream's maximum life passes or the client leaves;
    /// `request` is watched for the client's leaving (its inbound side closing).
    func run(request: Request, writer: inout any ResponseBodyWriter) async throws {
        let (items, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let left = Mutex(false)
        try await request.body.consumeWithInboundCloseHandler({ _ in
            try await run(items: items, continuation: continuation, left: left, writer: &writer)
        }, onInboundClosed: {
            left.withLock { $0 = true }
            continuation.finish()
        })
    }

    private func run(
        items: AsyncStream<Item>, continuation: AsyncStream<Item>.Continuation, left: borrowing Mutex<Bool>,
        writer: inout any ResponseBodyWriter
    ) async throws {
        let store = dependencies.store
        // Observed first, then read: a change in between is not missed.
        let observation = store.observeEvents(
            of: id, EventSink(deliver: { continuation.yield(.event($0)) }, finish: { continuation.finish() })
        )
        defer { observation.cancel() }
        guard let record = try await store.job(id) else {
            try await writer.write(Self.frame(event: "end", data: .object(["id": .string(id.rawValue), "status": .string("expired")])))
            try await writer.finish(nil)
            return
        }
        let source = record.status.isTerminal ? id : record.coalescedWith ?? id
        var progress = Progress(record: record, tokenSource: source, lastToken: resumeAfter)
        defer { progress.leader?.observation.cancel() }
        try await follow(&progress, continuation: continuation)
        try await writer.write(statusFrame(progress.record.status))
        if streamTokens { try await sendTokens(&progress, writer: &writer) }
        if !progress.record.status.isTerminal {
            let timers = dependencies.streamTimers.add(maximum: dependencies.configuration.limits.eventStreamMaximum) { signal in
                continuation.yield(signal == .keepAlive ? .keepAlive : .expired)
            }
            defer { timers.cancel() }
            for await item in items {
                guard try await handle(item, &progress, continuation: continuation, writer: &writer) else { break }
            }
        }
        // Nobody reads what would follow.
        if left.withLock({ $0 }) { return }
        // Tokens written just before the end may not have been read yet.
        if streamTokens && progress.record.status.isTerminal { try await sendTokens(&progress, writer: &writer) }
        // An ended job's record no longer changes: only a stream that timed out reads it again.
        let final = progress.record.status.isTerminal ? progress.record : (try await store.job(id) ?? progress.record)
        try await writer.write(Self.frame(event: final.status.isTerminal ? "end" : "timeout", json: QueryView.v1JSON(final)))
        try await writer.finish(nil)
    }

    /// Writes what `item` brings; false when the stream should end (the job ended or vanished, or
    /// the stream's life is over).
    private func handle(
        _ item: Item, _ progress: inout Progress, continuation: AsyncStream<Item>.Continuation, writer: inout any ResponseBodyWriter
    ) async throws -> Bool {
        switch item {
        case .event(.tokens):
            if streamTokens { try await sendTokens(&progress, writer: &writer) }
        case .event(.cancelRequested):
            try await writer.write(Self.frame(event: "cancel_requested", data: .object(["id": .string(id.rawValue)])))
        case .leaderEvent(.tokens):
            if streamTokens && progress.tokenSource != id { try await sendTokens(&progress, writer: &writer) }
        case .leaderEvent(.cancelRequested):
            break
        case .event(.status), .event(.resync), .leaderEvent(.status), .leaderEvent(.resync):
            // After a resync, tokens may have been missed too (a leader's are read below, from
            // whichever job the stream follows now).
            if case .event(.resync) = item, streamTokens { try await sendTokens(&progress, writer: &writer) }
            guard let fresh = try await dependencies.store.job(id) else { return false }
            let status = progress.record.status
            progress.record = fresh
            try await follow(&progress, continuation: continuation)
            if progress.record.status != status { try await writer.write(statusFrame(progress.record.status)) }
            if streamTokens, case .leaderEvent = item { try await sendTokens(&progress, writer: &writer) }
            return !progress.record.status.isTerminal
        case .keepAlive:
            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
        case .expired:
            return false
        }
        return true
    }

    /// Points the stream at the job the record now follows (its leader, or itself when it follows
    /// none or has ended): observes the leader's events, relays its tokens from their start, and
    /// shows the record as its submitter sees it. The leader is observed before the record is
    /// presented, so a change in between is not missed.
    private func follow(_ progress: inout Progress, continuation: AsyncStream<Item>.Continuation) async throws {
        let leader = progress.record.status.isTerminal ? nil : progress.record.coalescedWith
        if leader != progress.leader?.id {
            progress.leader?.observation.cancel()
            progress.leader = leader.map { leader in
                (leader, dependencies.store.observeEvents(
                    of: leader, EventSink(deliver: { continuation.yield(.leaderEvent($0)) }, finish: {})
                ))
            }
        }
        // An ended follower's answer is its own, and so is a heir's token stream.
        let source = leader ?? id
        if source != progress.tokenSource && !(leader == nil && progress.record.status.isTerminal) {
            progress.tokenSource = source
            progress.lastToken = nil
        }
        progress.record = try await dependencies.presented(progress.record)
    }

    /// Sends the token-stream entries after the last one sent.
    private func sendTokens(_ progress: inout Progress, writer: inout any ResponseBodyWriter) async throws {
        for token in try await dependencies.store.tokens(of: progress.tokenSource, after: progress.lastToken) {
            try await writer.write(Self.frame(token))
            progress.lastToken = token.id
        }
    }

    private func statusFrame(_ status: JobStatus) -> ByteBuffer {
        Self.frame(event: "status", data: .object(["id": .string(id.rawValue), "status": .string(status.rawValue)]))
    }

    /// One SSE frame; the data is one line of JSON.
    static func frame(event: String, data: JSONValue, id: String? = nil) -> ByteBuffer {
        frame(event: event, json: data.jsonBytes, id: id)
    }

    /// The SSE frame of bytes that are JSON already (one line: compact JSON escapes every newline).
    static func frame(event: String, json: [UInt8], id: String? = nil) -> ByteBuffer {
        var frame = ByteBuffer(string: "event: \(event)\n" + (id.map { "id: \($0)\n" } ?? "") + "data: ")
        frame.writeBytes(json)
        frame.writeString("\n\n")
        return frame
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
}
