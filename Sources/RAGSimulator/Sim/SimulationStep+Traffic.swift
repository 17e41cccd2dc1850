import FakeBackends
import RAGQueue

/// One query a step sends, and when, and for which tenant.
struct Arrival: Sendable, Hashable {
    /// From the start of the step (warm-up included).
    var offset: Duration
    var query: RAGQuery
    /// The tenant that sends it; nil when the run has none.
    var tenant: String? = nil
    /// The corpus question it means (its words may be a paraphrase); nil for a trace's query.
    var intent: String? = nil
}

extension SimulationStep.Plan {
    /// What step `index` sends through warm-up and the window: the trace's queries up to the
    /// window's end, or arrivals at `qps` over the corpus's questions (in turn, or by popularity
    /// with `zipf`). Every step sends the same
    /// arrivals and questions (common random numbers: the steps' figures differ by their workers
    /// alone), unless `drawPerStep` seeds each step apart.
    /// What `count` generated arrivals ask, seeded by `seed`: the corpus's questions in turn from
    /// `first`, or by popularity (`repetition.zipf`); with `repetition.paraphrase`, that share of
    /// them reworded (`SimCorpus.paraphrase`). Each with the question it means.
    func questions(_ count: Int, seed: UInt64, first: Int) -> [(text: String, intent: String)] {
        let popular = repetition.zipf > 0 ? QuestionPopularity(count: questions.count, exponent: repetition.zipf).indices(count, seed: seed) : nil
        var random = SeededRandom(mixing: seed, 0x9A4A_9A5E)
        return (0..<count).map { number in
            let intent = questions[popular?[number] ?? (number + first) % questions.count]
            let reworded = repetition.paraphrase > 0 && random.nextUnit() < repetition.paraphrase
            return (reworded ? SimCorpus.paraphrase(intent, variant: Int(random.next() % 4)) : intent, intent)
        }
    }

    func traffic(step: Int, collection: String) -> [Arrival] {
        let end = warmup + duration
        let index = drawPerStep ? step : 0
        if let trace {
            return trace.entries(before: end).map {
                Arrival(offset: $0.offset, query: $0.query(defaultCollection: collection), tenant: $0.tenant ?? tenants.first?.name)
            }
        }
        guard !tenants.isEmpty else {
            let schedule = ArrivalSchedule(qps: qps, length: end, process: arrivals, seed: seed &+ UInt64(index))
            let asked = questions(schedule.offsets.count, seed: seed &+ UInt64(index), first: index * 7)
            return zip(schedule.offsets, asked).map { offset, question in
                Arrival(offset: offset, query: RAGQuery(query: question.text, collection: collection), intent: question.intent)
            }
        }
        // Each tenant: its burst at the start, then its own arrivals, seeded apart.
        var traffic: [Arrival] = []
        for (position, tenant) in tenants.enumerated() {
            let rate = tenant.qps ?? (tenant.burst > 0 ? 0 : qps / Double(tenants.count))
            var offsets = [Duration](repeating: .zero, count: tenant.burst)
            if rate > 0 {
                offsets += ArrivalSchedule(qps: rate, length: end, process: arrivals, seed: seed &+ UInt64(index) &+ UInt64(position + 1) * 7919).offsets
            }
            for (number, offset) in offsets.enumerated() {
                let question = questions[(number + position * 13 + index * 7) % questions.count]
                traffic.append(Arrival(offset: offset, query: RAGQuery(query: question, collection: collection, priority: tenant.priority), tenant: tenant.name))
            }
        }
        return traffic.sorted { $0.offset < $1.offset }
    }
}
