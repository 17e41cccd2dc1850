import Synchronization
import Testing
@testable import RAGQueue

/// Many waits on one sleeping task (`DeadlineTimer`), and a long-poll's watch of its job's end
/// (`JobEndWatch`).
@Suite("Deadlines and end watches")
struct JobEndWatchTests {
    /// What the timer's actions did, in order, each with whether its deadline had passed.
    final class Log: Sendable {
        let entries = Mutex<[(String, Bool)]>([])
        let (ran, ranContinuation) = AsyncStream.makeStream(of: String.self)

        func action(_ name: String, deadline: ContinuousClock.Instant) -> @Sendable () -> Void {
            { [self] in
                entries.withLock { $0.append((name, ContinuousClock.now >= deadline)) }
                ranContinuation.yield(name)
            }
        }

        /// Waits until `count` actions have run.
        func wait(for count: Int) async {
            var seen = 0
            for await _ in ran {
                seen += 1
                if seen == count { return }
            }
        }
    }

    @Test("actions run once their deadlines pass, earliest first, never before; a cancelled one never runs")
    func deadlinesInOrder() async {
        let timer = DeadlineTimer()
        let log = Log()
        let now = ContinuousClock.now
        let late = now + .milliseconds(30), early = now + .milliseconds(10), dropped = now + .milliseconds(20)
        timer.schedule(at: late, log.action("late", deadline: late))
        timer.schedule(at: early, log.action("early", deadline: early))
        timer.cancel(timer.schedule(at: dropped, log.action("dropped", deadline: dropped)))
        await log.wait(for: 2)
        let entries = log.entries.withLock { $0 }
        #expect(entries.map(\.0) == ["early", "late"])
        #expect(entries.allSatisfy { $0.1 }, "no action before its deadline")
        #expect(timer.pending == 0)
    }

    @Test("a deadline earlier than the one the timer sleeps for runs first; the later one stays pending")
    func earlierDeadlineWakes() async {
        let timer = DeadlineTimer()
        let log = Log()
        let far = ContinuousClock.now + .seconds(3600)
        let distant = timer.schedule(at: far, log.action("far", deadline: far))
        let soon = ContinuousClock.now + .milliseconds(10)
        timer.schedule(at: soon, log.action("soon", deadline: soon))
        await log.wait(for: 1)
        #expect(log.entries.withLock { $0.map(\.0) } == ["soon"])
        #expect(timer.pending == 1, "the hour-long wait is still there")
        timer.cancel(distant)
        #expect(timer.pending == 0)
    }

    /// A watch fed by hand: the watch, the sink the store would call, and whether the
    /// subscription ended.
    static func fed(timer: DeadlineTimer = DeadlineTimer()) -> (JobEndWatch, EventSink, Cancelled) {
        let box = Mutex<EventSink?>(nil)
        let cancelled = Cancelled()
        let watch = JobEndWatch(timer: timer) { sink in
            box.withLock { $0 = sink }
            return EventObservation { cancelled.flag.withLock { $0 = true } }
        }
        return (watch, box.withLock { $0! }, cancelled)
    }

    final class Cancelled: Sendable {
        let flag = Mutex(false)
    }

    @Test("an end that came before the wait is not missed; after it is returned, the next wait waits again")
    func endBeforeWait() async {
        let (watch, sink, _) = Self.fed()
        sink.deliver(.status(.finished))
        #expect(await watch.next(within: .seconds(60)))
        #expect(await watch.next(within: .milliseconds(20)) == false, "that end was returned already")
    }

    @Test("an end or a resync wakes the waiter, other events do not; its deadline is dropped")
    func endWakesWaiter() async {
        let timer = DeadlineTimer()
        let (watch, sink, _) = Self.fed(timer: timer)
        sink.deliver(.status(.started))
        sink.deliver(.tokens)
        #expect(await watch.next(within: .milliseconds(20)) == false, "a start and tokens are not an end")
        async let woken = watch.next(within: .seconds(3600))
        while timer.pending == 0 { await Task.yield() }  // waiting, with its deadline
        sink.deliver(.status(.failed))
        #expect(await woken)
        #expect(timer.pending == 0, "the hour-long deadline went with the waiter")
        sink.deliver(.resync)
        #expect(await watch.next(within: .seconds(3600)), "a resync: the record must be read again")
    }

    @Test("a closing store, a cancelled task and a passed time each end the wait with false")
    func waitEndsWithoutEnd() async {
        let (watch, sink, _) = Self.fed()
        let waiting = Task { await watch.next(within: .seconds(3600)) }
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(await watch.next(within: .zero) == false)
        sink.finish()
        #expect(await watch.next(within: .seconds(3600)) == false, "the store closed: nothing will come")
    }

    @Test("dropping the watch ends its subscription")
    func droppingEndsSubscription() {
        let cancelled = {
            let (watch, _, cancelled) = Self.fed()
            #expect(cancelled.flag.withLock { $0 } == false, "subscribed while the watch lives")
            withExtendedLifetime(watch) {}
            return cancelled
        }()
        #expect(cancelled.flag.withLock { $0 })
    }
}
