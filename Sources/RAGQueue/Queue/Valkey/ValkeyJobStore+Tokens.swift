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

    /// `XRANGE` in batches of 256 until a batch comes back short; entries of another shape are
    /// skipped (and read past).
    public func tokens(of id: JobID, after cursor: String?) async throws(QueueError) -> [TokenEntry] {
        var after = cursor ?? "0-0"
        var tokens: [TokenEntry] = []
        while true {
            let reply = try await send(ValkeyCommand("XRANGE", keys.tokens(id), "(" + after, "+", "COUNT", Self.tokenBatch))
            let entries = reply.array ?? []
            let (batch, lastID) = Self.tokenEntries(entries)
            tokens += batch
            guard entries.count == Self.tokenBatch, let lastID else { return tokens }
            after = lastID
        }
    }

    /// Entries one `XRANGE` reads.
    private static let tokenBatch = 256

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
