import Valkey

extension ValkeyJobStore {
    /// Entries kept at most per token stream (approximate trim).
    static let tokenStreamMaxLength = 10_000
    /// One `XADD` per entry, trimmed to about `tokenStreamMaxLength`, pipelined on one connection so
    /// they apply in order, then one `<id> tokens` message on the events channel, which wakes every
    /// reader of the stream in every process. The stream expires after the queue's result TTL,
    /// renewed with every entry that starts or ends an attempt, so an abandoned stream expires too.
    public func appendTokens(_ entries: [TokenEntry.Kind], to id: JobID) async throws(QueueError) {
        guard !entries.isEmpty else { return }
        let key = keys.tokens(id)
        var commands: [ValkeyCommand] = []
        var expire = false
        for entry in entries {
            let head: [any ValkeyArgument] = [key, "MAXLEN", "~", Self.tokenStreamMaxLength, "*"]
            commands.append(ValkeyCommand("XADD", head + entry.fields.map { $0 as any ValkeyArgument }))
            if case .text = entry {} else { expire = true }
        }
        if expire { commands.append(ValkeyCommand("PEXPIRE", key, max(configuration.resultTTL.milliseconds, 1))) }
        commands.append(ValkeyCommand("PUBLISH", keys.events, "\(id.rawValue) tokens"))
        try await pipeline(commands)
    }

    public func makeTokenReader(for id: JobID) -> any TokenReader {
        ValkeyTokenReader(store: self, id: id, key: keys.tokens(id))
    }

    /// Entries of an `XRANGE`/`XREAD` reply's entry list (entries of another shape are skipped),
    /// and the id of the list's last entry, whatever its shape.
    static func tokenEntries(_ entries: [ValkeyReply]) -> (tokens: [TokenEntry], lastID: String?) {
        var tokens: [TokenEntry] = []
        for entry in entries {
            guard let parts = entry.array, parts.count == 2, let entryID = parts[0].string, let list = parts[1].array else { continue }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < list.count {
                if let name = list[index].string, let value = list[index + 1].string { fields[name] = value }
                index += 2
            }
            if let kind = TokenEntry.Kind(fields: fields) { tokens.append(TokenEntry(id: entryID, kind: kind)) }
        }
        return (tokens, entries.last?.array?.first?.string)
    }
}

/// Reads one token stream with `XRANGE` on the store's shared connections. To wait, it listens
/// for the stream's `tokens` messages on the process's one events subscription (`events(for:)`)
/// and reads again when one comes: no connection, thread or blocked command per reader, so an API
/// process holds thousands of open streams at the cost of their sockets.
final class ValkeyTokenReader: TokenReader {
    private let store: ValkeyJobStore
    private let id: JobID
    private let key: String

    init(store: ValkeyJobStore, id: JobID, key: String) {
        self.store = store
        self.id = id
        self.key = key
    }

    func next(after cursor: String?, timeout: Duration) async throws(QueueError) -> [TokenEntry] {
        var after = cursor ?? "0-0"
        if timeout <= .zero { return try await range(after: &after) }
        let deadline = ContinuousClock.now + timeout
        // Subscribed first, then read: entries appended in between wake the wait below.
        let events = store.events(for: id)
        while true {
            let tokens = try await range(after: &after)
            if !tokens.isEmpty { return tokens }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, await Self.wake(events, within: remaining) else { return [] }
        }
    }

    /// The entries after `after`; `after` moves past entries of another shape, which are skipped.
    private func range(after: inout String) async throws(QueueError) -> [TokenEntry] {
        let reply = try await store.send(ValkeyCommand("XRANGE", key, "(" + after, "+", "COUNT", 256))
        let (tokens, lastID) = ValkeyJobStore.tokenEntries(reply.array ?? [])
        if tokens.isEmpty, let lastID { after = lastID }
        return tokens
    }

    /// Whether something that may have added entries arrived within `timeout`: new tokens, the
    /// job's end, or a resync after the subscription reconnected.
    private static func wake(_ events: AsyncStream<JobEvent>, within timeout: Duration) async -> Bool {
        await JobEvent.first(in: events, within: timeout) { event in
            switch event {
            case .tokens, .resync: true
            case .status(let status): status.isTerminal
            case .cancelRequested: false
            }
        }
    }

    func close() {}
}
