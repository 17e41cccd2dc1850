import Foundation
import RAGQueueTestSupport
import Testing
import Valkey
@testable import RAGQueue

/// `RAGQ_DURABILITY`: an enqueue returns only once Valkey confirmed what the queue asks for, and a
/// job it could not confirm is kept (reported, never dropped).
@Suite("Queue durability on real Valkey processes", .timeLimit(.minutes(2)))
struct DurabilityTests {
    @Test("replica: enqueue returns once a replica has the job; with the replica frozen it reports the job unconfirmed and keeps it, where none would not wait")
    func replica() async throws {
        try await withQueue(configure: { $0.durability = .replica; $0.durabilityTimeout = .milliseconds(200) }) { queue in
            #expect(try await queue.store.checkDurability() != nil, "no replica yet: a warning")
            let replica = try ValkeyServerProcess(arguments: ["--replicaof", "127.0.0.1", String(queue.server.port)])
            try await replica.start()
            defer { replica.cleanUp() }
            do {
                let replicaClient = try ValkeyClient(url: replica.url)
                defer { replicaClient.close() }
                try await eventually("the replica to finish its first sync") {
                    try await replicaClient.send("INFO", "replication").string?.contains("master_link_status:up") == true
                }
                #expect(try await queue.store.checkDurability() == nil, "a replica online: no warning")
                let confirmed = try await queue.store.enqueue(EnqueueRequest(kind: "rag.query", payload: Array("replicated".utf8)))
                let fromReplica = try ValkeyJobStore(url: replica.url, configuration: queue.configuration)
                defer { fromReplica.close() }
                #expect(try await fromReplica.job(confirmed.id)?.status == .queued, "the replica holds the acknowledged job")

                let replicaPID = try #require(replica.pid)
                kill(replicaPID, SIGSTOP)
                let refused = await #expect(throws: QueueError.self) {
                    try await queue.store.enqueue(EnqueueRequest(kind: "rag.query", payload: Array("unreplicated".utf8)))
                }
                var plain = queue.configuration
                plain.durability = .none
                let noWaitStore = try ValkeyJobStore(url: queue.server.url, configuration: plain)
                defer { noWaitStore.close() }
                let noWait = try await noWaitStore.enqueue(EnqueueRequest(kind: "rag.query", payload: Array("fast".utf8)))
                kill(replicaPID, SIGCONT)
                #expect(refused?.isDurabilityUnconfirmed == true)
                let kept = try #require(refused?.jobID)
                #expect(try await queue.store.job(kept)?.status == .queued, "an unconfirmed job is kept, not dropped")
                #expect(try await queue.store.job(noWait.id)?.status == .queued)
                await replica.stop()
            } catch {
                if let pid = replica.pid { kill(pid, SIGCONT) }
                await replica.stop()
                throw error
            }
        }
    }

    @Test("local: enqueue waits for the append-only file; a Valkey without one is named at the check, and its submits are reported unconfirmed but kept")
    func local() async throws {
        try await withQueue(appendOnly: true, configure: { $0.durability = .local }) { queue in
            #expect(try await queue.store.checkDurability() == nil)
            let result = try await queue.store.enqueue(EnqueueRequest(kind: "rag.query", payload: Array("fsynced".utf8)))
            #expect(try await queue.store.job(result.id)?.status == .queued)
        }
        try await withQueue(appendOnly: false, configure: { $0.durability = .local }) { queue in
            let check = await #expect(throws: QueueError.self) { _ = try await queue.store.checkDurability() }
            #expect(check?.codeName == "invalid_configuration")
            #expect(check?.message.contains("appendonly") == true)
            let refused = await #expect(throws: QueueError.self) {
                try await queue.store.enqueue(EnqueueRequest(kind: "rag.query", payload: Array("not fsynced".utf8)))
            }
            #expect(refused?.isDurabilityUnconfirmed == true)
            let kept = try #require(refused?.jobID)
            #expect(try await queue.store.job(kept)?.status == .queued)
        }
    }
}
