import Foundation
import Synchronization

/// A one-line progress display on a terminal, rewritten in place at most four times a second;
/// silent when standard output is not a terminal, so logs and pipes get plain lines only.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let label: String
    private let lastDrawn = Mutex<ContinuousClock.Instant?>(nil)

    /// A display prefixed with `label`; draws only when `enabled`.
    init(enabled: Bool, label: String) {
        self.enabled = enabled
        self.label = label
    }

    /// Shows `text` unless the last draw was under 250 ms ago.
    func update(_ text: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let draw = lastDrawn.withLock { last in
            if let last, now - last < .milliseconds(250) { return false }
            last = now
            return true
        }
        guard draw else { return }
        try? FileHandle.standardOutput.write(contentsOf: Data("\r\u{1B}[K  \(label): \(text)".utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        try? FileHandle.standardOutput.write(contentsOf: Data("\r\u{1B}[K".utf8))
    }
}
