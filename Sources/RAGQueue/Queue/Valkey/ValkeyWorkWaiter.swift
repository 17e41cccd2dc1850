import Foundation
import Valkey

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
