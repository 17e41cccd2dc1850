import Foundation

/// Compares a run with a committed baseline: throughput and efficiency per worker count may not
/// fall more than `tolerance` percent below it. Latency is not guarded: it follows from these.
struct BaselineCheck: Sendable {
    /// The reference run.
    let baseline: SimulationReport
    /// Allowed drop, in percent of the baseline's value.
    let tolerance: Double

    /// The comparison lines and whether every guarded figure is within tolerance.
    func compare(_ current: SimulationReport) throws -> (lines: [String], passed: Bool) {
        let reference = Dictionary(baseline.steps.map { ($0.workers, $0) }, uniquingKeysWith: { first, _ in first })
        let shared = current.steps.filter { reference[$0.workers] != nil }
        guard !shared.isEmpty else {
            throw SimulationError("the baseline has no step with these worker counts (it has \(baseline.scenario.workers))")
        }
        var lines: [String] = []
        if !Self.comparable(baseline.scenario, current.scenario) {
            lines.append("baseline: note: its scenario differs (qps, concurrency, duration, profile or arrivals); figures may not compare")
        }
        var passed = true
        for step in shared {
            guard let old = reference[step.workers] else { continue }
            for (name, now, then) in [
                ("completed/s", step.completedPerSecond, old.completedPerSecond), ("efficiency", step.efficiency, old.efficiency),
            ] {
                let change = then > 0 ? (now - then) / then * 100 : 0
                let ok = change >= -tolerance
                passed = passed && ok
                lines.append(
                    "baseline: workers \(step.workers) \(name) " + String(format: "%.2f vs %.2f (%+.1f%%, tolerance %.0f%%)", now, then, change, tolerance)
                        + (ok ? " ok" : " REGRESSION")
                )
            }
        }
        return (lines, passed)
    }

    private static func comparable(_ left: SimulationReport.Scenario, _ right: SimulationReport.Scenario) -> Bool {
        left.qps == right.qps && left.concurrency == right.concurrency && left.durationSeconds == right.durationSeconds
            && left.profile == right.profile && left.arrivals == right.arrivals
    }
}
