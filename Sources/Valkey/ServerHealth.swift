import Synchronization

/// Whether a fail-fast client's server is known to be unreachable (`ValkeyConfiguration.failFast`).
///
/// A connection error marks the server down; the client's connections then refuse their commands
/// at once, sending nothing, while one probe connection pings the server every `interval` until it
/// answers. Shared by the connections of one `ValkeyClient`.
final class ServerHealth: Sendable {
    private struct State: Sendable {
        /// The error that marked the server down; nil while it is thought reachable.
        var down: ValkeyError?
        var probe: Task<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())
    private let interval: Duration
    private let address: String
    private let probeConnection: ValkeyConnection

    init(configuration: ValkeyConfiguration, interval: Duration) {
        self.interval = interval
        self.address = configuration.redactedDescription
        var once = configuration
        once.reconnect.maximumWait = .zero
        self.probeConnection = ValkeyConnection(configuration: once, label: "valkey.probe")
    }

    /// Whether the server is known to be unreachable.
    var isDown: Bool { state.withLock { $0.down != nil } }

    /// The error to fail a command with instead of sending it, while the server is known down.
    func refusal() -> ValkeyError? {
        guard let down = state.withLock({ $0.down }) else { return nil }
        return .connectionFailed("\(address) is unreachable (\(down.message)); not sent")
    }

    /// Records a connection error: the server is down until the probe hears from it.
    func markDown(_ error: ValkeyError) {
        state.withLock { state in
            guard !state.closed, state.down == nil else { return }
            state.down = error
            state.probe = Task { [weak self] in await self?.probeUntilAnswered() }
        }
    }

    /// Stops the probe.
    func close() {
        let probe = state.withLock { state in
            state.closed = true
            return state.probe
        }
        probe?.cancel()
        probeConnection.close()
    }

    private func probeUntilAnswered() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if case .success = await probeConnection.send([ValkeyCommand("PING")])[0] {
                state.withLock { state in
                    state.down = nil
                    state.probe = nil
                }
                return
            }
        }
    }
}
