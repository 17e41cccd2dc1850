import Foundation

extension ValkeyJobStore {
    public func heartbeat(_ worker: WorkerInfo, ttl: Duration) async throws(QueueError) {
        let key = keys.worker(worker.id)
        let info = (try? JSONEncoder().encode(worker)).map { Array($0) } ?? []
        let results = await client.pipeline([
            ValkeyCommand("ZADD", keys.workers, clock.nowMilliseconds() + ttl.milliseconds, worker.id),
            ValkeyCommand("SET", key, info, "PX", ttl.milliseconds),
        ])
        for result in results {
            do {
                try result.get().throwingServerError()
            } catch {
                throw .backend(error)
            }
        }
    }

    public func removeWorker(_ id: String) async throws(QueueError) {
        let results = await client.pipeline([ValkeyCommand("ZREM", keys.workers, id), ValkeyCommand("DEL", keys.worker(id))])
        for result in results {
            do {
                try result.get().throwingServerError()
            } catch {
                throw .backend(error)
            }
        }
    }

    /// The live workers' announcements.
    public func workers() async throws(QueueError) -> [WorkerInfo] {
        do {
            let ids = try await client.send("ZRANGE", keys.workers, "(\(clock.nowMilliseconds())", "+inf", "BYSCORE").array ?? []
            var workers: [WorkerInfo] = []
            for id in ids.compactMap(\.string) {
                if case .bulk(let bytes) = try await client.send("GET", keys.worker(id)),
                   let info = try? JSONDecoder().decode(WorkerInfo.self, from: Data(bytes)) {
                    workers.append(info)
                }
            }
            return workers
        } catch {
            throw .backend(error)
        }
    }
}

/// Waits on the queue's marker with `BZPOPMIN` on a connection of its own.
final class ValkeyWorkWaiter: WorkWaiter {
    private let connection: ValkeyConnection
    private let marker: String

    init(connection: ValkeyConnection, marker: String) {
        self.connection = connection
        self.marker = marker
    }

    func wait(timeout: Duration) async throws(QueueError) {
        let wait = min(max(timeout, .milliseconds(10)), ValkeyJobStore.maximumBlock)
        let seconds = String(format: "%.3f", Double(wait.milliseconds) / 1000)
        do {
            try await connection.send(ValkeyCommand("BZPOPMIN", marker, seconds))
        } catch {
            throw .backend(error)
        }
    }

    func close() {
        connection.close()
    }
}
