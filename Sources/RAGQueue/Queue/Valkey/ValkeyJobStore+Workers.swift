import Foundation
import Valkey

extension ValkeyJobStore {
    public func heartbeat(_ worker: WorkerInfo, ttl: Duration) async throws(QueueError) {
        let info = (try? JSONEncoder().encode(worker)).map { Array($0) } ?? []
        try await pipeline([
            ValkeyCommand("ZADD", keys.workers, clock.nowMilliseconds() + ttl.milliseconds, worker.id),
            ValkeyCommand("SET", keys.worker(worker.id), info, "PX", ttl.milliseconds),
        ])
    }

    public func removeWorker(_ id: String) async throws(QueueError) {
        try await pipeline([ValkeyCommand("ZREM", keys.workers, id), ValkeyCommand("DEL", keys.worker(id))])
    }

    public func workers() async throws(QueueError) -> [WorkerInfo] {
        let ids = try await send(ValkeyCommand("ZRANGE", keys.workers, "(\(clock.nowMilliseconds())", "+inf", "BYSCORE")).array ?? []
        var workers: [WorkerInfo] = []
        for id in ids.compactMap(\.string) {
            if case .bulk(let bytes) = try await send(ValkeyCommand("GET", keys.worker(id))),
               let info = try? JSONDecoder().decode(WorkerInfo.self, from: Data(bytes)) {
                workers.append(info)
            }
        }
        return workers
    }
}
