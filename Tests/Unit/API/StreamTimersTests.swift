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

    @Test("a stream gets a keep-alive every interval")
    func keepAlives() async throws {
        let timers = StreamTimers(keepAlive: .milliseconds(20), resolution: .milliseconds(5))
        let received = Received()
        let registration = timers.add(maximum: .seconds(3600)) { received.continuation.yield($0) }
        var keepAlives = 0
        for await signal in received.signals {
            #expect(signal == .keepAlive)
            keepAlives += 1
            if keepAlives == 3 { break }
        }
        #expect(timers.count == 1)
        registration.cancel()
    }

    @Test("a stream past its maximum life expires and is forgotten")
    func expiry() async throws {
        let timers = StreamTimers(keepAlive: .seconds(3600), resolution: .milliseconds(5))
        let received = Received()
        let registration = timers.add(maximum: .milliseconds(50)) { received.continuation.yield($0) }
        for await signal in received.signals {
            #expect(signal == .expired)
            break
        }
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
