import RAGQueue

extension Simulation.Settings {
    /// The traffic for the scenario line: `20 qps poisson`, or the trace, its size and rate.
    var trafficSummary: String {
        guard let trace else { return "\(Simulation.number(qps)) qps \(arrivals.rawValue)" }
        return "trace \(trace.source) (\(trace.entries.count) queries over \(Simulation.number(trace.length.seconds)) s, "
            + "\(Simulation.number(trace.rate)) qps)"
    }
}
