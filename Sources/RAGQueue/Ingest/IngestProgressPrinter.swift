import Foundation
import Synchronization

/// Shows ingestion progress on standard error: a bar redrawn in place on a terminal, plain lines
/// every 10 % otherwise (logs, CI).
public final class IngestProgressPrinter: Sendable {
    private let interactive: Bool
    private let state = Mutex<(drawn: Bool, lastPercent: Int)>((false, -1))

    /// A printer drawing a bar when standard error is a terminal.
    public init() {
        self.interactive = isatty(STDERR_FILENO) == 1
    }

    /// Shows one step of progress.
    public func report(_ progress: DocumentIngester.Progress) {
        switch progress {
        case .loaded(let source, let pages, let chunks):
            line("read \(source): \(pages) page(s), \(chunks) chunk(s)")
        case .skipped(let error):
            line("warning: \(error)")
        case .stored(let done, let total):
            let percent = total == 0 ? 100 : done * 100 / total
            if interactive {
                let width = 30
                let filled = total == 0 ? width : done * width / total
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                write("\r[\(bar)] \(percent)% \(done)/\(total) chunks")
                state.withLock { $0.drawn = true }
            } else {
                // Plain lines every 10 %, and at the end.
                let step = percent / 10
                let shouldPrint = state.withLock { state -> Bool in
                    guard step != state.lastPercent || done == total else { return false }
                    state.lastPercent = step
                    return true
                }
                if shouldPrint { line("stored \(done)/\(total) chunks") }
            }
        }
    }

    /// Ends the bar's line.
    public func finish() {
        let drawn = state.withLock { state -> Bool in
            defer { state.drawn = false }
            return state.drawn
        }
        if drawn { write("\n") }
    }

    /// One line, after ending the bar if one is drawn.
    public func line(_ text: String) {
        finish()
        write(text + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
