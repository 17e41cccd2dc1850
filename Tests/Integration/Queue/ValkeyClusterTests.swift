import Foundation
import RAGQueueTestSupport
import Testing
import Valkey
@testable import RAGQueue

/// The queue on a 3-primary Valkey Cluster started by the tests: where a queue's keys live, and
/// what the store does when its slot moves. (The contract suites also run on a cluster:
/// `StoreKind.valkeyCluster`.)
@Suite("Queue on a Valkey Cluster", .timeLimit(.minutes(2)))
struct ValkeyClusterTests {
    @Test("queues spread over the nodes: every key of one queue is on the node serving its hash tag's slot")
    func queuesSpread() async throws {
        try await withCluster { cluster in
            // Queue names until each node serves one of them.
            var byNode: [Int: QueueConfiguration] = [:]
            var number = 0
            while byNode.count < cluster.nodes.count {
                var configuration = QueueConfiguration()
                configuration.prefix = "spread"
                configuration.name = "queue-\(number)"
                number += 1
                let node = try await cluster.owner(of: ValkeyJobStore.slot(of: configuration))
                if byNode[node] == nil { byNode[node] = configuration }
            }
            for configuration in byNode.values {
                let store = try ValkeyJobStore(url: cluster.url, configuration: configuration)
                defer { store.close() }
                let id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array(configuration.name.utf8))).id
                #expect(try await store.job(id)?.status == .queued)
            }
            for (index, configuration) in byNode {
                let node = try cluster.client(index)
                defer { node.close() }
                let keys = (try await node.send("KEYS", "*").array ?? []).compactMap(\.string)
                #expect(!keys.isEmpty, "node \(index) holds its queue")
                let base = try configuration.keys().base
                #expect(keys.allSatisfy { $0.hasPrefix(base) }, "node \(index) holds \(base) and nothing else: \(keys)")
            }
        }
    }

    @Test("a queue's slot given to another node is followed: a command the old node refuses (MOVED) is reported unsent, and the next reaches the new one")
    func slotMoved() async throws {
        try await withCluster { cluster in
            var configuration = QueueConfiguration()
            configuration.prefix = "moved-\(JobID().rawValue.prefix(6))"
            let slot = ValkeySlot.of(try configuration.keys().base)
            let owner = try await cluster.owner(of: slot)
            let target = (owner + 1) % cluster.nodes.count
            let store = try ValkeyJobStore(url: cluster.url, configuration: configuration)
            defer { store.close() }
            try await store.ping()  // connected to the owner, with nothing stored yet

            let targetID = try await cluster.id(target)
            for index in [owner] + cluster.nodes.indices.filter({ $0 != owner }) {
                let node = try cluster.client(index)
                defer { node.close() }
                _ = try await node.send("CLUSTER", "SETSLOT", slot, "NODE", targetID)
            }
            var refusals: [QueueError] = []
            var id: JobID?
            while id == nil, refusals.count < 20 {
                do throws(QueueError) {
                    id = try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("after the move".utf8))).id
                } catch {
                    refusals.append(error)
                }
            }
            let moved = try #require(id, "the store follows the slot: \(refusals)")
            #expect(refusals.allSatisfy { $0.isBackendUnavailable }, "refusals are retryable: \(refusals)")
            let node = try cluster.client(target)
            defer { node.close() }
            #expect(try await node.send("EXISTS", try configuration.keys().job(moved)).int == 1, "the job is on the slot's new node")
        }
    }

    @Test("a queue's slot being migrated: a read of a key already moved follows ASK to the importing node; a multi-key write is refused retryable (TRYAGAIN) until the move ends")
    func slotMigrating() async throws {
        try await withCluster { cluster in
            var configuration = QueueConfiguration()
            configuration.prefix = "asked-\(JobID().rawValue.prefix(6))"
            let keys = try configuration.keys()
            let slot = ValkeySlot.of(keys.base)
            let owner = try await cluster.owner(of: slot)
            let target = (owner + 1) % cluster.nodes.count
            let source = try cluster.client(owner)
            let importer = try cluster.client(target)
            defer {
                source.close()
                importer.close()
            }
            _ = try await importer.send("CLUSTER", "SETSLOT", slot, "IMPORTING", try await cluster.id(owner))
            _ = try await source.send("CLUSTER", "SETSLOT", slot, "MIGRATING", try await cluster.id(target))
            // A job record that has already moved: only the importing node has it.
            let moved = JobID()
            let written = await importer.pipeline([
                ValkeyCommand("ASKING"),
                ValkeyCommand("HSET", keys.job(moved), "status", "queued", "kind", "noop", "created_at", "1000", "ends", "0"),
            ])
            #expect(try written[1].get().int == 4)

            let store = try ValkeyJobStore(url: cluster.url, configuration: configuration)
            defer { store.close() }
            #expect(try await store.job(moved)?.status == .queued, "the read asked the importing node")
            let refused = await #expect(throws: QueueError.self) {
                try await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("while migrating".utf8)))
            }
            #expect(refused?.isBackendUnavailable == true && refused?.message.contains("TRYAGAIN") == true, "\(String(describing: refused))")

            let targetID = try await cluster.id(target)
            for node in [importer, source] { _ = try await node.send("CLUSTER", "SETSLOT", slot, "NODE", targetID) }
            var id: JobID?
            for _ in 0..<20 where id == nil {
                id = try? await store.enqueue(EnqueueRequest(kind: "noop", payload: Array("after the move".utf8))).id
            }
            let after = try #require(id, "submits work again once the slot has moved")
            #expect(try await importer.send("EXISTS", keys.job(after)).int == 1)
        }
    }
}

/// Runs `body` on a fresh 3-node cluster, stopped by pid afterwards.
private func withCluster(_ body: (ValkeyClusterGroup) async throws -> Void) async throws {
    let cluster = try await ValkeyClusterGroup.started()
    do {
        try await body(cluster)
        await cluster.stop()
    } catch {
        await cluster.stop()
        throw error
    }
}
