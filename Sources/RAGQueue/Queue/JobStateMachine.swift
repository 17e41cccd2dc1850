/// The job lifecycle as a pure state machine: the specification that every queue script follows.
///
/// Each event returns what happens, and invalid events are answered, not ignored. The Valkey
/// scripts implement the same table atomically; the integration tests hold them to this type.
public struct JobStateMachine: Sendable, Hashable {
    /// What an event did.
    public enum Outcome: Sendable, Hashable {
        /// The job moved to `status` (possibly the same one, e.g. a cancel request on a running job).
        case moved(to: JobStatus)
        /// The event does not apply in the job's current state; nothing changed.
        case rejected(Rejection)
    }

    /// Why an event was refused.
    public enum Rejection: String, Sendable, Hashable {
        /// The job is not in a state that accepts the event.
        case invalidState = "invalid_state"
        /// The fencing token does not match: a newer attempt holds the job.
        case staleToken = "stale_token"
        /// The job has already ended.
        case alreadyEnded = "already_ended"
    }

    /// The current status.
    public private(set) var status: JobStatus
    /// Attempts started so far (claims not handed back).
    public private(set) var attempts: Int
    /// Attempts allowed before the job fails for good.
    public private(set) var maxAttempts: Int
    /// Set when a cancel arrived while the job was running.
    public private(set) var cancelRequested: Bool
    /// Fencing token of the current or last attempt.
    public private(set) var token: Int64
    /// Workers that died (heartbeat lapsed) while holding the job; their attempts do not count.
    public private(set) var crashes: Int

    /// A new job, waiting for a worker.
    public init(maxAttempts: Int) {
        self.init(status: .queued, attempts: 0, maxAttempts: maxAttempts, cancelRequested: false, token: 0)
    }

    /// A job in any state, for tests and for interpreting stored records.
    public init(status: JobStatus, attempts: Int, maxAttempts: Int, cancelRequested: Bool, token: Int64, crashes: Int = 0) {
        self.status = status
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.cancelRequested = cancelRequested
        self.token = token
        self.crashes = crashes
    }

    /// A worker claims the job, receiving a fresh fencing token (larger than every earlier one).
    public mutating func claim(token newToken: Int64) -> Outcome {
        guard status == .queued else { return .rejected(status.isTerminal ? .alreadyEnded : .invalidState) }
        status = .started
        attempts += 1
        token = newToken
        return .moved(to: .started)
    }

    /// The worker holding `token` stores a result.
    public mutating func complete(token caller: Int64) -> Outcome {
        if let rejection = checkHolder(caller) { return .rejected(rejection) }
        status = .finished
        return .moved(to: .finished)
    }

    /// The worker holding `token` reports a failure. A transient one is retried while attempts remain;
    /// any failure after a cancel request ends the job as canceled.
    public mutating func fail(token caller: Int64, transient: Bool, refund: Bool = false) -> Outcome {
        if let rejection = checkHolder(caller) { return .rejected(rejection) }
        // A refunded attempt (a backend outage, not the job's fault) does not count.
        if refund && transient { attempts -= 1 }
        if cancelRequested {
            status = .canceled
        } else if transient && attempts < maxAttempts {
            status = .scheduled
        } else {
            status = .failed
        }
        return .moved(to: status)
    }

    /// The worker holding `token` hands the job back unfinished (shutdown): the attempt does not count.
    public mutating func release(token caller: Int64) -> Outcome {
        if let rejection = checkHolder(caller) { return .rejected(rejection) }
        attempts -= 1
        status = cancelRequested ? .canceled : .queued
        return .moved(to: status)
    }

    /// The lease ran out (worker lost): back to the queue while attempts remain, else failed.
    public mutating func leaseExpired() -> Outcome {
        guard status == .started else { return .rejected(status.isTerminal ? .alreadyEnded : .invalidState) }
        if cancelRequested {
            status = .canceled
        } else {
            status = attempts < maxAttempts ? .queued : .failed
        }
        return .moved(to: status)
    }

    /// The worker holding the job died (its heartbeat lapsed): the attempt does not count, the
    /// crash does. Back to the queue until `maxCrashes` workers have died holding it (a job that
    /// kills its workers), then failed.
    public mutating func workerDied(maxCrashes: Int) -> Outcome {
        guard status == .started else { return .rejected(status.isTerminal ? .alreadyEnded : .invalidState) }
        attempts -= 1
        crashes += 1
        if cancelRequested {
            status = .canceled
        } else {
            status = crashes < maxCrashes ? .queued : .failed
        }
        return .moved(to: status)
    }

    /// A scheduled retry comes due.
    public mutating func promote() -> Outcome {
        guard status == .scheduled else { return .rejected(status.isTerminal ? .alreadyEnded : .invalidState) }
        status = .queued
        return .moved(to: .queued)
    }

    /// An operator retries a failed job: it waits for a worker again with `allowance` more attempts
    /// (attempts go on counting) and a clean slate of crashes.
    public mutating func retry(allowance: Int) -> Outcome {
        guard status == .failed else { return .rejected(.invalidState) }
        status = .queued
        maxAttempts = attempts + max(1, allowance)
        crashes = 0
        cancelRequested = false
        return .moved(to: .queued)
    }

    /// A user cancels: a waiting job ends at once, a running one is asked to stop.
    public mutating func cancel() -> Outcome {
        switch status {
        case .queued, .scheduled:
            status = .canceled
            return .moved(to: .canceled)
        case .started:
            cancelRequested = true
            return .moved(to: .started)
        case .finished, .failed, .canceled:
            return .rejected(.alreadyEnded)
        }
    }

    private func checkHolder(_ caller: Int64) -> Rejection? {
        if caller != token {
            return .staleToken
        }
        if status != .started {
            return status.isTerminal ? .alreadyEnded : .invalidState
        }
        return nil
    }
}
