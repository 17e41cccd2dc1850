import FakeBackends
import Foundation
import Testing

@testable import RAGQueue
import RAGQueueTestSupport

/// A backend outage delays jobs instead of failing them: the circuit breaker stops the workers
/// and hands back what fails while it is open, without spending attempts.
@Suite("Backend outages")
struct BackendOutageTests {
    @Test("a burst of 500s, resets and held requests from the model API fails no job; the jobs it hit are handed back")
    func outageFailsNoJob() async throws {
        try await withRAGStack(configure: { configuration in
            configuration.worker.concurrency = 4
            configuration.queue.circuit.openFor = .milliseconds(500)
            configuration.queue.circuit.maximumOpen = .seconds(2)
        }) { stack in
            // Without the breaker, three attempts 100-400 ms apart all land inside the outage.
            stack.openAI.setFaults(FaultPlan(
                default: .init(internalServerError: 0.4, timeout: 0.2, connectionReset: 0.4), timeoutHold: .milliseconds(300)
            ))
            var ids: [JobID] = []
            for number in 0..<12 {
                ids.append(try await stack.ask(RAGQuery(query: "Question \(number) about honeybees and their hive", topK: 1)))
            }
            try await eventually(timeout: .seconds(20), "the outage to hand jobs back") {
                try await stack.harness.store.stats().counters["released", default: 0] >= 1
            }
            try await Task.sleep(for: .seconds(3))  // the outage lasts a while longer: this is the fault, not a wait for an event
            stack.openAI.setFaults(nil)
            for id in ids {
                let record = try await waitForEnd(id, harness: stack.harness, timeout: .seconds(30))
                #expect(record.status == .finished, "job \(id) ended \(record.status): \(String(describing: record.error))")
            }
            let counters = try await stack.harness.store.stats().counters
            #expect(counters["failed", default: 0] == 0)
            #expect(counters["released", default: 0] >= 1, "\(counters)")
        }
    }
}
