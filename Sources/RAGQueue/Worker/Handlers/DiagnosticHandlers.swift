/// Kind `noop`: completes at once, echoing its payload. Measures the queue's own overhead.
public struct NoopJobHandler: JobHandler {
    public let kind = "noop"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
        job.payload
    }
}

/// Kind `sleep`: waits for the number of milliseconds in its payload, checking for cancellation,
/// then returns `slept <ms>`. Stands in for slow work in tests of leases, crashes and shutdown.
public struct SleepJobHandler: JobHandler {
    public let kind = "sleep"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> [UInt8] {
        guard let milliseconds = Int(String(decoding: job.payload, as: UTF8.self)), (0...3_600_000).contains(milliseconds) else {
            throw JobFailure(code: "invalid_payload", message: "sleep wants a number of milliseconds (0-3600000)", transient: false)
        }
        try await context.stage("sleep") {
            let clock = ContinuousClock()
            let end = clock.now + .milliseconds(milliseconds)
            while clock.now < end {
                try context.checkCancellation()
                try await Task.sleep(until: min(end, clock.now + .milliseconds(50)), clock: clock)
            }
        }
        return Array("slept \(milliseconds)".utf8)
    }
}
