import Foundation
import RAGQueue
import RAGQueueTestSupport
import Synchronization

/// Everything a simulation started, stopped in reverse order whatever happens: success, an
/// error, or Ctrl-C. Children are stopped by pid: SIGTERM, then SIGKILL after a grace period.
final class ProcessReaper: Sendable {
    private struct Entry: Sendable {
        let id: Int
        let name: String
        let stop: @Sendable () async -> Void
    }

    private struct State: Sendable {
        var entries: [Entry] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    /// An empty reaper.
    init() {}

    /// Registers `stop` to run at `stopAll()`; returns a token for `stop(_:)`.
    @discardableResult
    func add(_ name: String, stop: @escaping @Sendable () async -> Void) -> Int {
        state.withLock { state in
            state.nextID += 1
            state.entries.append(Entry(id: state.nextID, name: name, stop: stop))
            return state.nextID
        }
    }

    /// Registers a child process, stopped with SIGTERM and killed after `grace`.
    @discardableResult
    func add(_ name: String, child: ChildProcess, grace: Duration) -> Int {
        add(name) { await Self.stop(child, grace: grace) }
    }

    /// Runs and forgets the entries with these tokens, last registered first.
    func stop(_ tokens: [Int]) async {
        let entries = state.withLock { state in
            let chosen = state.entries.filter { tokens.contains($0.id) }
            state.entries.removeAll { tokens.contains($0.id) }
            return chosen
        }
        await Self.run(entries.reversed())
    }

    /// Runs every entry, last registered first. Safe to call twice.
    func stopAll() async {
        let entries = state.withLock { state in
            let all = state.entries
            state.entries = []
            return all
        }
        await Self.run(entries.reversed())
    }

    /// Runs the stops in an unstructured task: a cancelled caller (Ctrl-C) must not cut the grace short.
    private static func run(_ entries: [Entry]) async {
        guard !entries.isEmpty else { return }
        await Task {
            // Children are stopped together so their grace periods overlap; then the rest in order.
            var others: [Entry] = []
            await withTaskGroup(of: Void.self) { group in
                for entry in entries {
                    if entry.name.hasPrefix("child:") {
                        group.addTask { await entry.stop() }
                    } else {
                        others.append(entry)
                    }
                }
            }
            for entry in others { await entry.stop() }
        }.value
    }

    /// SIGTERM (and SIGCONT), then SIGKILL if the child has not exited after `grace`.
    static func stop(_ child: ChildProcess, grace: Duration) async {
        guard child.isRunning else { return }
        child.send(SIGTERM)
        child.send(SIGCONT)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await child.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: grace)
                if !Task.isCancelled { child.send(SIGKILL) }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
