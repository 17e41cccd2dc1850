/// A change of one job, pushed to whoever watches it (`JobStore.events(for:)`).
public enum JobEvent: Sendable, Hashable {
    /// The job moved to this status.
    case status(JobStatus)
    /// A cancel was requested while the job runs.
    case cancelRequested
    /// New entries were appended to the job's token stream (read them with `tokens(of:after:)`).
    case tokens
    /// Events may have been missed (the store's subscription reconnected): read the job again.
    case resync
}

extension JobEvent {
    /// Whether an event `matching` arrives on `stream` within `timeout` (false when the stream ends
    /// first). After a match the stream may be waited on again; after a timeout it has ended, since
    /// the task that read it was cancelled.
    static func first(
        in stream: AsyncStream<JobEvent>, within timeout: Duration, matching: @escaping @Sendable (JobEvent) -> Bool
    ) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in stream where matching(event) { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
