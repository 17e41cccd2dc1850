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
        // Seconds with three decimals, from whole milliseconds (`String(format:)` here cost an idle
        // worker over 1 % of its CPU: it waits after every claim that comes back short).
        let millis = wait.milliseconds
        let fraction = String(millis % 1000)
        let seconds = String(millis / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
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
