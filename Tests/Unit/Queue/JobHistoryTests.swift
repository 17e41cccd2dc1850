import Foundation
import Testing
@testable import RAGQueue

/// A job's history as the stores keep it: one line per step, the oldest dropped past 4 KB.
@Suite("Job history")
struct JobHistoryTests {
    @Test("steps parse back with their time and details; a long history keeps its newest whole lines within 4 KB")
    func notedAndParsed() {
        var history = ""
        for attempt in 1...200 { history = JobRecord.Step.noted(history, now: 1_000 + Int64(attempt), "started worker-\(attempt) \(attempt)") }
        #expect(history.utf8.count <= 4096 && history.utf8.count > 3000)
        let steps = JobRecord.Step.parse(history)
        #expect(steps.last == JobRecord.Step(at: Date(timeIntervalSince1970: 1.2), what: "started", details: ["worker-200", "200"]))
        #expect(steps.allSatisfy { $0.what == "started" && $0.details.count == 2 }, "no step cut in half")
        let numbers = steps.compactMap { Int($0.details[1]) }
        #expect(numbers == Array((numbers.first ?? 0)...200), "the newest steps, in order, none missing")
        #expect(JobRecord.Step.parse("garbage\n12 created\n") == [JobRecord.Step(at: Date(timeIntervalSince1970: 0.012), what: "created")])
    }
}
