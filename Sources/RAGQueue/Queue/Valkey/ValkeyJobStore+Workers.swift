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
        let reply = try await send(ValkeyCommand("ZRANGE", keys.workers, "(\(clock.nowMilliseconds())", "+inf", "BYSCORE", "WITHSCORES")).array ?? []
        let live = stride(from: 0, to: reply.count - 1, by: 2).compactMap { index -> (id: String, deadline: Int64)? in
            guard let id = reply[index].string, let deadline = reply[index + 1].double else { return nil }
            return (id, Int64(deadline))
        }
        guard !live.isEmpty else { return [] }
        // Each worker's announcement and how many jobs it holds, in one round trip.
        let replies = await client.pipeline(live.flatMap { [ValkeyCommand("GET", keys.worker($0.id)), ValkeyCommand("SCARD", keys.held($0.id))] })
        var workers: [WorkerInfo] = []
        for (index, worker) in live.enumerated() {
            guard case .success(.bulk(let bytes)) = replies[2 * index], var info = try? JSONDecoder().decode(WorkerInfo.self, from: Data(bytes)) else {
                continue
            }
            if case .success(let held) = replies[2 * index + 1] { info.jobsInFlight = held.int.map { Int($0) } }
            info.heartbeatDeadlineMilliseconds = worker.deadline
            workers.append(info)
        }
        return workers
    }
}
