import Valkey

extension ValkeyJobStore {
    /// Entries kept at most per token stream (approximate trim).
    static let tokenStreamMaxLength = 10_000
    /// The longest single `XREAD BLOCK` of a token reader.
    static let tokenBlock: Duration = .seconds(5)

    /// One `XADD` per entry, trimmed to about `tokenStreamMaxLength`, pipelined on one connection so
    /// they apply in order. The stream expires after the queue's result TTL, renewed with every
    /// entry that starts or ends an attempt, so an abandoned stream expires too.
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
        try await pipeline(commands)
    }

    public func makeTokenReader(for id: JobID) -> any TokenReader {
        ValkeyTokenReader(store: self, key: keys.tokens(id))
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

/// Reads one token stream: `XRANGE` when asked not to wait, else `XREAD BLOCK` on a connection of
/// its own, opened with the first blocking read.
final class ValkeyTokenReader: TokenReader {
    private let store: ValkeyJobStore
    private let key: String
    private let connection: ValkeyConnection

    init(store: ValkeyJobStore, key: String) {
        self.store = store
        self.key = key
        self.connection = store.client.dedicatedConnection(blockingFor: ValkeyJobStore.tokenBlock, label: "valkey.tokens")
    }

    func next(after cursor: String?, timeout: Duration) async throws(QueueError) -> [TokenEntry] {
        var after = cursor ?? "0-0"
        if timeout <= .zero {
            let reply = try await store.send(ValkeyCommand("XRANGE", key, "(" + after, "+"))
            return ValkeyJobStore.tokenEntries(reply.array ?? []).tokens
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let block = min(deadline - ContinuousClock.now, ValkeyJobStore.tokenBlock)
            guard block > .zero else { return [] }
            let reply: ValkeyReply
            do {
                reply = try await connection.send(ValkeyCommand("XREAD", "COUNT", 256, "BLOCK", max(1, block.milliseconds), "STREAMS", key, after))
            } catch {
                throw .backend(error)
            }
            guard case .array(let streams) = reply, let entries = streams.first?.array?.last?.array else { return [] }
            let (tokens, lastID) = ValkeyJobStore.tokenEntries(entries)
            if !tokens.isEmpty { return tokens }
            // Only entries of another shape: read on after them.
            guard let lastID else { return [] }
            after = lastID
        }
    }

    func close() {
        connection.close()
    }
}
