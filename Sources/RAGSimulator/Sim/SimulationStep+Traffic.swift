import RAGQueue

/// One query a step sends, and when.
struct Arrival: Sendable, Hashable {
    /// From the start of the step (warm-up included).
    var offset: Duration
    var query: RAGQuery
}

extension SimulationStep.Plan {
    /// What step `index` sends through warm-up and the window: the trace's queries up to the
    /// window's end, or arrivals at `qps` over the corpus's questions, seeded per step.
    func traffic(step index: Int, collection: String) -> [Arrival] {
        let end = warmup + duration
        if let trace {
            return trace.entries(before: end).map { Arrival(offset: $0.offset, query: $0.query(defaultCollection: collection)) }
        }
        let schedule = ArrivalSchedule(qps: qps, length: end, process: arrivals, seed: seed &+ UInt64(index))
        return schedule.offsets.enumerated().map { number, offset in
            Arrival(offset: offset, query: RAGQuery(query: questions[(number + index * 7) % questions.count], collection: collection))
        }
    }
}
