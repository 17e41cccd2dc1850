import Foundation
import RAGQueueTestSupport
import Testing
import Valkey
@testable import RAGQueue

/// The queue behind Valkey Sentinel: a primary, a replica and three sentinels that the tests
/// start and stop by pid. The store asks the sentinels for the primary on every connection.
@Suite("Queue through Valkey Sentinel", .timeLimit(.minutes(3)))
struct SentinelFailoverTests {
    @Test("with durability replica, every submit acknowledged before and during the primary's SIGKILL is on the promoted replica, once each")
    func primaryKilled() async throws {
        try await withSentinelGroup { group, configuration in
            let store = try ValkeyJobStore(url: group.url, configuration: configuration)
            defer { store.close() }
            let first = try #require(await group.primary())
            var acknowledged: [String: JobID] = [:]
            for number in 0..<40 {
                if number == 20 { await first.kill() }
                let key = "job-\(number)"
                acknowledged[key] = try await submit(key, to: store)
            }

            let promoted = try #require(await group.primary())
            #expect(promoted.port != first.port, "the replica was promoted")
            #expect(acknowledged.count == 40)
            #expect(Set(acknowledged.values).count == 40, "a retried submit is the same job")
            let direct = try ValkeyJobStore(url: promoted.url, configuration: configuration)
            defer { direct.close() }
            for (key, id) in acknowledged {
                #expect(try await direct.job(id)?.status == .queued, "acknowledged \(key) is on the new primary")
            }
            #expect(try await direct.stats().waiting == 40)
        }
    }

    @Test("a primary demoted while it runs (SENTINEL FAILOVER) is followed without operator action; a write it refuses as a replica (READONLY) fails as unsent")
    func primaryDemoted() async throws {
        try await withSentinelGroup { group, configuration in
            let store = try ValkeyJobStore(url: group.url, configuration: configuration)
            defer { store.close() }
            let before = try await submit("before", to: store)
            let first = try #require(await group.primary())
            let sentinel = try ValkeyClient(url: group.sentinels[0].url)
            defer { sentinel.close() }
            _ = try await sentinel.send("SENTINEL", "FAILOVER", group.name)
            try await eventually(timeout: .seconds(30), "the sentinels to name another primary") { await group.primary()?.port != first.port }

            let after = try await submit("after", to: store)
            let promoted = try #require(await group.primary())
            let direct = try ValkeyJobStore(url: promoted.url, configuration: configuration)
            defer { direct.close() }
            #expect(try await direct.job(after)?.status == .queued)
            #expect(try await direct.job(before)?.status == .queued)
            #expect(try await direct.stats().waiting == 2, "no refused write half-happened")

            let demoted = try ValkeyClient(url: first.url)
            defer { demoted.close() }
            // While it turns into a replica the old primary drops its clients: a reset is part of the wait.
            try await eventually(timeout: .seconds(30), "the sentinels to make the old primary a replica") {
                (try? await demoted.send("ROLE"))?.array?.first?.string == "slave"
            }
            let refused = await #expect(throws: ValkeyError.self) { try await demoted.send("SET", "written-to-a-replica", "1") }
            #expect(refused?.codeName == "connection_failed", "safe to retry elsewhere: nothing was written")
            #expect(refused?.message.contains("no longer serves this") == true)
        }
    }
}

/// Submits a job keyed `key` until it is acknowledged, retrying (with the same idempotency key)
/// while the store reports Valkey unavailable or the job unconfirmed, for up to 30 s.
private func submit(_ key: String, to store: ValkeyJobStore) async throws -> JobID {
    let deadline = ContinuousClock.now + .seconds(30)
    while true {
        do {
            return try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array(key.utf8), idempotencyKey: key)).id
        } catch {
            guard error.isBackendUnavailable || error.isDurabilityUnconfirmed, ContinuousClock.now < deadline else { throw error }
        }
    }
}

/// Runs `body` with a fresh sentinel group and a queue configuration asking replica durability.
private func withSentinelGroup(_ body: (ValkeySentinelGroup, QueueConfiguration) async throws -> Void) async throws {
    let group = try ValkeySentinelGroup()
    do {
        try await group.start()
        var configuration = QueueConfiguration()
        configuration.prefix = "test-\(JobID().rawValue.prefix(8))"
        configuration.durability = .replica
        try await body(group, configuration)
        await group.stop()
    } catch {
        await group.stop()
        throw error
    }
}
