import Foundation
import Testing
@testable import RAGQueue

/// Holds both stores to the state machine: each event, applied to a job in each state (by the Lua
/// scripts on a real Valkey, and by the in-memory store), must end where `JobStateMachine` says,
/// and be refused where it refuses.
@Suite("Queue stores follow the state machine", .sharedValkeyServers)
struct QueueContractTests {
    enum Start: String, CaseIterable, Sendable {
        case queued, started, scheduled, finished, failed, canceled, startedCancelRequested
    }

    enum Event: String, CaseIterable, Sendable {
        case claim, complete, completeStale, failTransient, failPermanent, release, leaseExpired, workerDied, cancel
    }

    @Test("event on state, per store", arguments: StoreKind.allCases, Start.allCases.flatMap { start in Event.allCases.map { (start, $0) } })
    func contract(kind: StoreKind, transition: (start: Start, event: Event)) async throws {
        let (start, event) = transition
        try await withStore(kind, manualClock: true) { harness in
            let store = harness.store
            let clock = try #require(harness.clock)
            let (id, lease) = try await prepare(start, harness: harness)
            let before = try #require(try await store.job(id))
            var machine = before.stateMachine

            let expected: JobStateMachine.Outcome
            var refusal: QueueError?
            switch event {
            case .claim:
                expected = machine.claim(token: before.token + 1)
                let claimed = try await store.claim(workerID: "contract", count: 1).jobs
                #expect(claimed.map(\.id) == (expected == .moved(to: .started) ? [id] : []))
            case .complete:
                expected = machine.complete(token: lease?.token ?? before.token)
                refusal = await capture { try await store.complete(JobLease(id: id, token: lease?.token ?? before.token), result: [1], timings: [:]) }
            case .completeStale:
                expected = machine.complete(token: before.token - 1)
                refusal = await capture { try await store.complete(JobLease(id: id, token: before.token - 1), result: [1], timings: [:]) }
            case .failTransient, .failPermanent:
                let transient = event == .failTransient
                expected = machine.fail(token: before.token, transient: transient)
                refusal = await capture {
                    _ = try await store.fail(JobLease(id: id, token: before.token), failure: JobFailure(code: "x", message: "x", transient: transient), retryAtMilliseconds: clock.nowMilliseconds() + 3_600_000, timings: [:])
                }
            case .release:
                expected = machine.release(token: before.token)
                refusal = await capture { try await store.release(JobLease(id: id, token: before.token)) }
            case .leaseExpired:
                expected = machine.leaseExpired()
                // The holder lives on (heartbeats) but does not renew.
                try await harness.passTime(harness.configuration.lease + .seconds(1), live: ["setup"])
            case .workerDied:
                expected = machine.workerDied(maxCrashes: harness.configuration.maxCrashes)
                try await harness.passTime(harness.configuration.heartbeat * 2)
            case .cancel:
                expected = machine.cancel()
                refusal = await capture { _ = try await store.cancel(id) }
            }

            let after = try #require(try await store.job(id))
            switch expected {
            case .moved(let status):
                #expect(refusal == nil, "\(event) on \(start) should succeed")
                #expect(after.status == status, "\(event) on \(start)")
                #expect(after.attempts == machine.attempts, "attempts after \(event) on \(start)")
                #expect(after.crashes == machine.crashes, "crashes after \(event) on \(start)")
            case .rejected(let reason):
                #expect(after.status == before.status, "\(event) on \(start) must change nothing")
                if let refusal {
                    #expect(refusal.codeName == reason.rawValue || (reason == .alreadyEnded && refusal.codeName == "already_ended"), "\(event) on \(start): \(refusal)")
                } else {
                    // Only claim and reclaim answer a refusal by doing nothing; a repeated
                    // completion by the same holder is accepted as a no-op.
                    #expect(event == .claim || event == .leaseExpired || event == .workerDied || (event == .complete && start == .finished), "\(event) on \(start) should be refused")
                }
            }
        }
    }

    private func prepare(_ start: Start, harness: StoreHarness) async throws -> (JobID, JobLease?) {
        let store = harness.store
        let clock = try #require(harness.clock)
        let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: [])).id
        try await store.heartbeat(
            WorkerInfo(id: "setup", host: "test", pid: 0, concurrency: 1, kinds: [], startedAtMilliseconds: 0), ttl: harness.configuration.heartbeat
        )
        if start == .queued { return (id, nil) }
        if start == .canceled {
            _ = try await store.cancel(id)
            return (id, nil)
        }
        let lease = try #require(try await store.claim(workerID: "setup", count: 1).jobs.first).lease
        switch start {
        case .scheduled:
            _ = try await store.fail(lease, failure: JobFailure(code: "x", message: "x", transient: true), retryAtMilliseconds: clock.nowMilliseconds() + 3_600_000, timings: [:])
        case .finished:
            try await store.complete(lease, result: [], timings: [:])
        case .failed:
            _ = try await store.fail(lease, failure: JobFailure(code: "x", message: "x", transient: false), retryAtMilliseconds: 0, timings: [:])
        case .startedCancelRequested:
            _ = try await store.cancel(id)
        default:
            break
        }
        return (id, lease)
    }

    private func capture(_ body: () async throws -> Void) async -> QueueError? {
        do {
            try await body()
            return nil
        } catch let error as QueueError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}
