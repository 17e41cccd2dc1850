import Foundation
import Testing
import Valkey
@testable import RAGQueue

@Suite("Queue values")
struct QueueValuesTests {
    @Test("job ids are 22 URL-safe characters, unique, and parse back")
    func jobIDs() {
        let ids = (0..<1000).map { _ in JobID() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(50) {
            #expect(id.rawValue.count == 22)
            #expect(id.rawValue.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(JobID(id.rawValue) == id)
        }
    }

    @Test("malformed ids are rejected", arguments: ["", "abc", "../../etc/passwd12345", String(repeating: "A", count: 23), "AAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAB"])
    func badIDs(text: String) {
        #expect(JobID(text) == nil)
    }

    @Test("every key of a queue shares one hash tag")
    func keyLayout() throws {
        let keys = try QueueKeys(prefix: "ragq", queue: "default")
        let id = JobID()
        let all = [keys.waiting, keys.active, keys.scheduled, keys.failed, keys.marker, keys.fence, keys.counters,
                   keys.workers, keys.events, keys.job(id), keys.idempotency("k", tenant: "t"), keys.worker("w"), keys.tokens(id)]
        for key in all { #expect(key.hasPrefix("{ragq:default}:")) }
        #expect(Set(all).count == all.count)
        #expect(keys.job(id) == "{ragq:default}:job:\(id)")
        #expect(keys.idempotency("k", tenant: "a") != keys.idempotency("k", tenant: "b"))
    }

    @Test("names with braces or spaces are refused", arguments: [("ra{gq", "q"), ("ragq", "a b"), ("", "q"), ("p", "")])
    func badNames(prefix: String, queue: String) {
        #expect(throws: QueueError.self) { try QueueKeys(prefix: prefix, queue: queue) }
    }

    @Test("backoff doubles up to its ceiling and jitter stays below it")
    func backoff() {
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(100)
        policy.maximumBackoff = .seconds(1)
        #expect(policy.backoffCeiling(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.backoffCeiling(afterAttempt: 2) == .milliseconds(200))
        #expect(policy.backoffCeiling(afterAttempt: 4) == .milliseconds(800))
        #expect(policy.backoffCeiling(afterAttempt: 5) == .seconds(1))
        #expect(policy.backoffCeiling(afterAttempt: 500) == .seconds(1))
        var generator = SeededGenerator(seed: 42)
        let delays = (0..<200).map { _ in policy.delay(afterAttempt: 3, retryAfter: nil, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(Set(delays).count > 50, "full jitter spreads the delays")
    }

    @Test("a backend's retry-after is honoured, up to the cap")
    func retryAfter() {
        var policy = RetryPolicy()
        policy.maximumRetryAfter = .seconds(30)
        var generator = SeededGenerator(seed: 1)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(7), using: &generator) == .seconds(7))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(300), using: &generator) == .seconds(30))
    }

    @Test("script codes map to the matching queue errors")
    func scriptCodes() throws {
        let id = JobID()
        #expect(throws: QueueError.staleToken(id)) { try ScriptCode.check(.array([.integer(-2), .bulk(Array("started".utf8))]), jobID: id) }
        #expect(throws: QueueError.notFound(id)) { try ScriptCode.check(.array([.integer(-1)]), jobID: id) }
        #expect(throws: QueueError.alreadyEnded(id, "failed")) { try ScriptCode.check(.array([.integer(-4), .bulk(Array("failed".utf8))]), jobID: id) }
        #expect(throws: QueueError.queueFull(depth: 12)) { try ScriptCode.check(.array([.integer(-5), .bulk(Array("12".utf8))]), jobID: nil) }
        #expect(try ScriptCode.check(.array([.integer(1)]), jobID: id).code == .okExisting)
        #expect(throws: QueueError.self) { try ScriptCode.check(.integer(0), jobID: id) }
    }
}

/// A small deterministic generator (SplitMix64) so jitter tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
