import Testing
@testable import RAGQueue

@Suite("Job state machine")
struct JobStateMachineTests {
    @Test("a job runs from queued to finished")
    func happyPath() {
        var job = JobStateMachine(maxAttempts: 3)
        #expect(job.status == .queued)
        #expect(job.claim(token: 7) == .moved(to: .started))
        #expect(job.attempts == 1)
        #expect(job.complete(token: 7) == .moved(to: .finished))
        #expect(job.status.isTerminal)
    }

    @Test("a transient failure is scheduled while attempts remain, then fails")
    func transientFailures() {
        var job = JobStateMachine(maxAttempts: 2)
        _ = job.claim(token: 1)
        #expect(job.fail(token: 1, transient: true) == .moved(to: .scheduled))
        #expect(job.promote() == .moved(to: .queued))
        _ = job.claim(token: 2)
        #expect(job.attempts == 2)
        #expect(job.fail(token: 2, transient: true) == .moved(to: .failed))
    }

    @Test("a permanent failure fails at once")
    func permanentFailure() {
        var job = JobStateMachine(maxAttempts: 5)
        _ = job.claim(token: 1)
        #expect(job.fail(token: 1, transient: false) == .moved(to: .failed))
    }

    @Test("a stale token is refused and changes nothing")
    func staleToken() {
        var job = JobStateMachine(maxAttempts: 3)
        _ = job.claim(token: 1)
        _ = job.leaseExpired()
        _ = job.claim(token: 2)
        let before = job
        #expect(job.complete(token: 1) == .rejected(.staleToken))
        #expect(job.fail(token: 1, transient: true) == .rejected(.staleToken))
        #expect(job.release(token: 1) == .rejected(.staleToken))
        #expect(job == before)
    }

    @Test("an expired lease requeues while attempts remain, then fails")
    func leaseExpiry() {
        var job = JobStateMachine(maxAttempts: 2)
        _ = job.claim(token: 1)
        #expect(job.leaseExpired() == .moved(to: .queued))
        _ = job.claim(token: 2)
        #expect(job.leaseExpired() == .moved(to: .failed))
    }

    @Test("a dead worker's attempt does not count; the crash does, up to the crash limit; a cancel request wins")
    func workerDied() {
        var job = JobStateMachine(maxAttempts: 1)
        _ = job.claim(token: 1)
        #expect(job.workerDied(maxCrashes: 2) == .moved(to: .queued))
        #expect(job.attempts == 0 && job.crashes == 1, "one attempt of one allowed is still left")
        _ = job.claim(token: 2)
        #expect(job.workerDied(maxCrashes: 2) == .moved(to: .failed))
        #expect(job.crashes == 2)
        #expect(job.workerDied(maxCrashes: 2) == .rejected(.alreadyEnded))

        var queued = JobStateMachine(maxAttempts: 3)
        #expect(queued.workerDied(maxCrashes: 3) == .rejected(.invalidState))

        var canceled = JobStateMachine(maxAttempts: 3)
        _ = canceled.claim(token: 1)
        _ = canceled.cancel()
        #expect(canceled.workerDied(maxCrashes: 3) == .moved(to: .canceled))
    }

    @Test("cancel ends a waiting or scheduled job at once and flags a running one")
    func cancel() {
        var waiting = JobStateMachine(maxAttempts: 3)
        #expect(waiting.cancel() == .moved(to: .canceled))

        var scheduled = JobStateMachine(status: .scheduled, attempts: 1, maxAttempts: 3, cancelRequested: false, token: 1)
        #expect(scheduled.cancel() == .moved(to: .canceled))

        var running = JobStateMachine(maxAttempts: 3)
        _ = running.claim(token: 4)
        #expect(running.cancel() == .moved(to: .started))
        #expect(running.cancelRequested)
        #expect(running.fail(token: 4, transient: true) == .moved(to: .canceled))
    }

    @Test("a canceled running job whose lease expires ends canceled, not requeued")
    func cancelThenLeaseExpiry() {
        var job = JobStateMachine(maxAttempts: 3)
        _ = job.claim(token: 1)
        _ = job.cancel()
        #expect(job.leaseExpired() == .moved(to: .canceled))
    }

    @Test("release hands the job back without counting the attempt")
    func release() {
        var job = JobStateMachine(maxAttempts: 3)
        _ = job.claim(token: 1)
        #expect(job.release(token: 1) == .moved(to: .queued))
        #expect(job.attempts == 0)
    }

    @Test("events on ended jobs are refused", arguments: [JobStatus.finished, .failed, .canceled])
    func terminalStates(status: JobStatus) {
        var job = JobStateMachine(status: status, attempts: 1, maxAttempts: 3, cancelRequested: false, token: 1)
        #expect(job.claim(token: 2) == .rejected(.alreadyEnded))
        #expect(job.complete(token: 1) == .rejected(.alreadyEnded))
        #expect(job.fail(token: 1, transient: true) == .rejected(.alreadyEnded))
        #expect(job.release(token: 1) == .rejected(.alreadyEnded))
        #expect(job.leaseExpired() == .rejected(.alreadyEnded))
        #expect(job.promote() == .rejected(.alreadyEnded))
        #expect(job.cancel() == .rejected(.alreadyEnded))
        #expect(job.status == status)
    }

    @Test("events that need a running job are refused on waiting ones", arguments: [JobStatus.queued, .scheduled])
    func notRunning(status: JobStatus) {
        var job = JobStateMachine(status: status, attempts: 0, maxAttempts: 3, cancelRequested: false, token: 0)
        #expect(job.complete(token: 0) == .rejected(.invalidState))
        #expect(job.fail(token: 0, transient: false) == .rejected(.invalidState))
        #expect(job.release(token: 0) == .rejected(.invalidState))
        #expect(job.leaseExpired() == .rejected(.invalidState))
    }

    @Test("only queued jobs can be claimed and only scheduled ones promoted")
    func claimAndPromoteGuards() {
        var scheduled = JobStateMachine(status: .scheduled, attempts: 1, maxAttempts: 3, cancelRequested: false, token: 1)
        #expect(scheduled.claim(token: 2) == .rejected(.invalidState))
        var queued = JobStateMachine(maxAttempts: 3)
        #expect(queued.promote() == .rejected(.invalidState))
        var running = JobStateMachine(maxAttempts: 3)
        _ = running.claim(token: 1)
        #expect(running.claim(token: 2) == .rejected(.invalidState))
    }
}
