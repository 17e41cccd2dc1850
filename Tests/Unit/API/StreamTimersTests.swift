import Synchronization
import Testing

@testable import RAGQueueAPI

/// The process's one timer task for open event streams: keep-alives until the stream's life ends.
@Suite("Stream timers")
struct StreamTimersTests {
    /// The signals one registration received, and a way to wait for the next.
    final class Received: Sendable {
        let signals: AsyncStream<StreamTimers.Signal>
        let continuation: AsyncStream<StreamTimers.Signal>.Continuation

        init() {
            (signals, continuation) = AsyncStream.makeStream()
        }
    }

    @Test("a stream gets keep-alives, then expires and is forgotten")
    func keepAlivesThenExpiry() async throws {
        let timers = StreamTimers(keepAlive: .milliseconds(20), resolution: .milliseconds(5))
        let received = Received()
        let registration = timers.add(maximum: .milliseconds(200)) { received.continuation.yield($0) }
        var signals: [StreamTimers.Signal] = []
        for await signal in received.signals {
            signals.append(signal)
            if signal == .expired { break }
        }
        #expect(signals.filter { $0 == .keepAlive }.count >= 2, "keep-alives come before the end: \(signals)")
        #expect(signals.last == .expired)
        #expect(timers.count == 0, "an expired stream is forgotten")
        registration.cancel()
    }

    @Test("a cancelled registration is forgotten and gets no signal")
    func cancel() async throws {
        let timers = StreamTimers(keepAlive: .milliseconds(10), resolution: .milliseconds(5))
        let cancelled = Received()
        let watching = Received()
        let registration = timers.add(maximum: .seconds(60)) { cancelled.continuation.yield($0) }
        registration.cancel()
        #expect(timers.count == 0)
        let other = timers.add(maximum: .seconds(60)) { watching.continuation.yield($0) }
        // Once the other stream had two keep-alives, the cancelled one would have had its own.
        var keepAlives = 0
        for await signal in watching.signals where signal == .keepAlive {
            keepAlives += 1
            if keepAlives == 2 { break }
        }
        cancelled.continuation.finish()
        var late: [StreamTimers.Signal] = []
        for await signal in cancelled.signals { late.append(signal) }
        #expect(late.isEmpty)
        other.cancel()
    }
}
