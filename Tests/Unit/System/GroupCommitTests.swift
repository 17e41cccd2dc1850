import Synchronization
import Testing
@testable import RAGQueue

/// Group commit (`GroupCommit`, what carries a worker's completions to Valkey): a lone entry goes
/// at once; entries that arrive while a call is in flight go together in the next call; each
/// caller gets its own entry's outcome.
@Suite("Group commit")
struct GroupCommitTests {
    struct Failed: Error, Equatable {
        let entry: Int
    }

    /// Records the calls made, and holds the first one until `release()`.
    final class Recorder: Sendable {
        let calls = Mutex<[[Int]]>([])
        let gate: AsyncStream<Void>
        let opener: AsyncStream<Void>.Continuation
        let first = Atomic<Bool>(true)

        init() {
            (gate, opener) = AsyncStream.makeStream()
        }

        /// Outcomes: an entry's tenfold, or a failure for negative entries.
        func call(_ batch: [Int]) async -> [Result<Int, Failed>] {
            calls.withLock { $0.append(batch) }
            if first.exchange(false, ordering: .relaxed) {
                for await _ in gate { break }
            }
            return batch.map { $0 < 0 ? .failure(Failed(entry: $0)) : .success($0 * 10) }
        }

        func release() { opener.yield() }
    }

    @Test("a lone entry goes at once, in a call of its own, and gets its outcome")
    func lone() async {
        let group = GroupCommit<Int, Int, Failed>(maximumBatch: 8) { Failed(entry: 0) }
        let recorder = Recorder()
        recorder.release()
        #expect(await group.submit(7, call: recorder.call) == .success(70))
        #expect(await group.submit(-3, call: recorder.call) == .failure(Failed(entry: -3)))
        #expect(recorder.calls.withLock { $0 } == [[7], [-3]])
    }

    /// Submits `waiting` entries while the call of entry 0 is held; returns each caller's outcome
    /// by entry, and the calls made.
    func heldCall(waiting: [Int], maximumBatch: Int) async -> (outcomes: [Int: Result<Int, Failed>], calls: [[Int]]) {
        let group = GroupCommit<Int, Int, Failed>(maximumBatch: maximumBatch) { Failed(entry: 0) }
        let recorder = Recorder()
        let outcomes = await withTaskGroup(of: (Int, Result<Int, Failed>).self) { tasks in
            tasks.addTask { (0, await group.submit(0, call: recorder.call)) }
            while recorder.calls.withLock({ $0.isEmpty }) { await Task.yield() }
            for entry in waiting {
                tasks.addTask { (entry, await group.submit(entry, call: recorder.call)) }
            }
            while group.waitingCount < waiting.count { await Task.yield() }
            recorder.release()
            return await tasks.reduce(into: [Int: Result<Int, Failed>]()) { $0[$1.0] = $1.1 }
        }
        return (outcomes, recorder.calls.withLock { $0 })
    }

    @Test("entries that arrive while a call is in flight go together in the next one, each caller with its own outcome")
    func batched() async {
        let waiting = [1, 2, -3, 4, 5]
        let (outcomes, calls) = await heldCall(waiting: waiting, maximumBatch: 8)
        #expect(calls.count == 2)
        #expect(calls.first == [0])
        #expect(Set(calls.last ?? []) == Set(waiting))
        for entry in [0] + waiting {
            #expect(outcomes[entry] == (entry < 0 ? .failure(Failed(entry: entry)) : .success(entry * 10)))
        }
    }

    @Test("no call carries more than the maximum batch; every entry still goes")
    func bounded() async {
        let waiting = Array(1...5)
        let (outcomes, calls) = await heldCall(waiting: waiting, maximumBatch: 2)
        #expect(calls.map(\.count) == [1, 2, 2, 1])
        #expect(calls.flatMap { $0 }.sorted() == [0] + waiting)
        #expect(outcomes.count == 6 && outcomes.allSatisfy { $0.value == .success($0.key * 10) })
    }

    @Test("an entry the call returned no outcome for gets the missing failure")
    func missingOutcome() async {
        let group = GroupCommit<Int, Int, Failed>(maximumBatch: 8) { Failed(entry: -99) }
        #expect(await group.submit(1) { _ in [] } == .failure(Failed(entry: -99)))
    }
}
