import Logging

/// One attempt's writes to its job's token stream: the `attempt` entry first, then whatever the
/// handler streams; after the first failed write it logs once and skips the rest of the attempt's
/// entries, so a stream that cannot be written never fails the job.
actor TokenSink {
    private let store: any JobStore
    private let id: JobID
    private let attempt: Int
    private let logger: Logger
    private var started = false
    private var broken = false

    init(store: any JobStore, id: JobID, attempt: Int, logger: Logger) {
        self.store = store
        self.id = id
        self.attempt = attempt
        self.logger = logger
    }

    /// Whether the attempt has written to its stream (and so owes it an `end` or `error` entry).
    var isStarted: Bool { started }

    /// Appends `entries`, preceded by the attempt's `attempt` entry on the first call.
    func append(_ entries: [TokenEntry.Kind]) async {
        guard !broken else { return }
        var batch = entries
        if !started {
            started = true
            batch.insert(.attempt(attempt), at: 0)
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.appendTokens(batch, to: id)
        } catch {
            broken = true
            logger.warning("cannot publish the answer's tokens; the answer is still stored", metadata: ["error": "\(error)"])
        }
    }
}
