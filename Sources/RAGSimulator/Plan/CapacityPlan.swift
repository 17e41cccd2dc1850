import Foundation
import RAGQueue

/// What `ragsim plan` is asked: the latency to meet and how far to look.
public struct PlanTarget: Sendable, Hashable {
    /// The end-to-end p95 latency to stay under, seconds.
    public var p95Seconds: Double
    /// The most worker processes to consider.
    public var maxWorkers: Int
    /// Worker counts to run on the real system against the model; nil: the chosen count and the one below it.
    public var confirm: [Int]?

    public init(p95Seconds: Double, maxWorkers: Int, confirm: [Int]?) {
        self.p95Seconds = p95Seconds
        self.maxWorkers = maxWorkers
        self.confirm = confirm
    }
}

/// What the plan found: the calibration, the model by worker count, the smallest count meeting the
/// target, and the model beside the measurement at the confirmed counts. In `--json` as `plan`.
struct CapacityPlanReport: Sendable, Codable, Hashable {
    /// The model's steady state at one worker count.
    struct ModelRow: Sendable, Codable, Hashable {
        var workers: Int
        var slots: Int
        var utilisation: Double
        /// Nil when unstable.
        var probabilityOfWaiting: Double?
        var throughputPerSecond: Double
        /// Nil when unstable: the queue grows as long as the traffic lasts.
        var p95Seconds: Double?
    }

    /// The model run through the step beside the step as measured.
    struct Check: Sendable, Codable, Hashable {
        var workers: Int
        var modelCompletedPerSecond: Double
        var measuredCompletedPerSecond: Double
        /// Nil: beyond the drain (unfinished jobs hold the rank).
        var modelP95Seconds: Double?
        var measuredP95Seconds: Double?
        /// The steady state's p95 at this count (nil when unstable), for a run long enough to reach it.
        var steadyP95Seconds: Double?

        /// (model - measured) / measured for done/s.
        var throughputDifference: Double {
            measuredCompletedPerSecond > 0 ? (modelCompletedPerSecond - measuredCompletedPerSecond) / measuredCompletedPerSecond : 0
        }

        /// (model - measured) / measured for p95; 0 when both lie beyond the drain; nil when only one does.
        var p95Difference: Double? {
            switch (modelP95Seconds, measuredP95Seconds) {
            case (nil, nil): 0
            case let (model?, measured?) where measured > 0: (model - measured) / measured
            default: nil
            }
        }
    }

    var targetP95Seconds: Double
    var concurrency: Int
    var arrivalRate: Double
    /// Squared coefficient of variation of the arrivals' gaps (1 for Poisson).
    var arrivalVariation: Double
    var serviceSamples: Int
    var serviceMeanSeconds: Double
    var serviceP95Seconds: Double
    var serviceSquaredVariation: Double
    /// The smallest worker count whose steady-state p95 meets the target; nil: none up to the maximum.
    var chosenWorkers: Int?
    var model: [ModelRow]
    var checks: [Check]
    /// What the model calls of the traffic cost per hour, from the measured jobs' usage; nil when unpriced.
    var costPerHourUSD: Double?

    /// The findings as printed under the table.
    var lines: [String] {
        var lines = [
            "",
            "plan: p95 <= \(Simulation.number(targetP95Seconds)) s at \(String(format: "%.1f", arrivalRate)) queries/s "
                + "(arrival gaps' CV² \(String(format: "%.2f", arrivalVariation))); service times measured: \(serviceSamples) jobs, "
                + "mean \(String(format: "%.2f", serviceMeanSeconds)) s, p95 \(String(format: "%.2f", serviceP95Seconds)) s, "
                + "CV² \(String(format: "%.3f", serviceSquaredVariation))",
            "model (M/G/c steady state: Erlang C with the Allen-Cunneen correction, concurrency \(concurrency) per worker):",
            "workers  slots   util  P(wait)  done/s      p95",
        ]
        for row in model {
            lines.append(
                [
                    SimulationReport.pad(String(row.workers), 7), SimulationReport.pad(String(row.slots), 5),
                    SimulationReport.pad(String(format: "%.0f%%", row.utilisation * 100), 5),
                    SimulationReport.pad(row.probabilityOfWaiting.map { String(format: "%.3f", $0) } ?? "-", 7),
                    SimulationReport.pad(String(format: "%.1f", row.throughputPerSecond), 6),
                    SimulationReport.pad(row.p95Seconds.map(SimulationReport.seconds) ?? "grows", 7),
                ].joined(separator: "  ") + (row.workers == chosenWorkers ? "  <- smallest meeting the target" : "")
            )
        }
        if chosenWorkers == nil {
            lines.append("no worker count up to \(model.last?.workers ?? 0) meets the target: raise --max-workers or --concurrency")
        }
        if !checks.isEmpty {
            lines.append("model run through each confirmed step beside the measurement (same arrivals, window and drain):")
            lines.append("workers  done/s model  measured   diff  p95 model  measured   diff  p95 steady")
            for check in checks {
                lines.append(
                    [
                        SimulationReport.pad(String(check.workers), 7), SimulationReport.pad(String(format: "%.1f", check.modelCompletedPerSecond), 12),
                        SimulationReport.pad(String(format: "%.1f", check.measuredCompletedPerSecond), 8),
                        SimulationReport.pad(String(format: "%+.0f%%", check.throughputDifference * 100), 5),
                        SimulationReport.pad(SimulationReport.seconds(check.modelP95Seconds), 9),
                        SimulationReport.pad(SimulationReport.seconds(check.measuredP95Seconds), 8),
                        SimulationReport.pad(check.p95Difference.map { String(format: "%+.0f%%", $0 * 100) } ?? "-", 5),
                        SimulationReport.pad(check.steadyP95Seconds.map(SimulationReport.seconds) ?? "grows", 10),
                    ].joined(separator: "  ")
                )
            }
        }
        if let costPerHourUSD {
            lines.append(String(format: "model calls at this traffic: $%.2f per hour", costPerHourUSD))
        }
        return lines
    }

    /// The model's rows from 1 worker up to `maxWorkers`, stopping two past the first that meets
    /// `target` (the rest would only repeat it).
    static func model(
        arrivalRate: Double, arrivalVariation: Double, service: MeasuredTimes, concurrency: Int, target: PlanTarget
    ) -> (rows: [ModelRow], chosen: Int?) {
        var rows: [ModelRow] = []
        var chosen: Int?
        for workers in 1...max(1, target.maxWorkers) {
            let model = QueueModel(slots: workers * concurrency, arrivalRate: arrivalRate, service: service, arrivalVariation: arrivalVariation)
            let p95 = model.latency(quantile: 0.95)
            rows.append(
                ModelRow(
                    workers: workers, slots: model.slots, utilisation: model.utilisation,
                    probabilityOfWaiting: model.isStable ? model.probabilityOfWaiting : nil, throughputPerSecond: model.throughput, p95Seconds: p95
                )
            )
            if chosen == nil, let p95, p95 <= target.p95Seconds { chosen = workers }
            if let chosen, workers >= chosen + 2 { break }
        }
        return (rows, chosen)
    }

    /// Squared coefficient of variation of the gaps between `offsets` (seconds, ascending); 1 with too few.
    static func arrivalVariation(_ offsets: [Double]) -> Double {
        let gaps = zip(offsets.dropFirst(), offsets).map { $0 - $1 }
        return gaps.count > 1 ? MeasuredTimes(gaps).squaredVariation : 1
    }
}

extension Simulation {
    /// `ragsim plan`: a calibration step at one worker measures service times; the model picks the
    /// smallest worker count that meets the target; the confirmed counts then run on the real system
    /// and the model, run through the same step, is set beside each.
    func planCapacity(_ target: PlanTarget, step: SimulationStep) async throws -> ([StepResult], CapacityPlanReport) {
        let concurrency = settings.concurrency
        let arrivals = step.plan.traffic(step: 0, collection: step.services.collection).map(\.offset.seconds)
        say("calibration: 1 worker x \(concurrency) under the traffic, to measure service times")
        let calibration = try await step.run(workers: 1, index: 0)
        let service = MeasuredTimes(calibration.submissions.compactMap { submission in
            guard let record = submission.record, record.status == .finished, let start = record.startedAt, let end = record.endedAt else { return nil }
            return end.timeIntervalSince(start)
        })
        guard !service.samples.isEmpty else {
            throw SimulationError("the calibration step finished no job: nothing to calibrate the model on (see the worker logs)")
        }
        let variation = settings.trace == nil && settings.arrivals == .poisson ? 1 : CapacityPlanReport.arrivalVariation(arrivals)
        let (rows, chosen) = CapacityPlanReport.model(
            arrivalRate: settings.qps, arrivalVariation: variation, service: service, concurrency: concurrency, target: target
        )
        var report = CapacityPlanReport(
            targetP95Seconds: target.p95Seconds, concurrency: concurrency, arrivalRate: settings.qps, arrivalVariation: variation,
            serviceSamples: service.samples.count, serviceMeanSeconds: service.mean, serviceP95Seconds: LatencySummary(service.samples, censored: 0).p95 ?? 0,
            serviceSquaredVariation: service.squaredVariation, chosenWorkers: chosen, model: rows, checks: [], costPerHourUSD: nil
        )
        say(
            "model: service mean \(String(format: "%.2f", service.mean)) s over \(service.samples.count) jobs; smallest meeting p95 <= "
                + "\(Self.number(target.p95Seconds)) s: " + (chosen.map { "\($0) worker(s)" } ?? "none up to \(target.maxWorkers)")
        )

        let counts = target.confirm ?? (chosen.map { [$0 - 1, $0] } ?? [target.maxWorkers]).filter { $0 >= 1 }
        let modelRun = ModelRun(
            arrivals: arrivals, warmup: settings.warmup.seconds, duration: settings.duration.seconds, drain: settings.drain.seconds,
            service: service, seed: settings.seed
        )
        var results: [StepResult] = [calibration.result]
        var costs: [Int64] = []
        for (position, workers) in counts.enumerated() {
            let measured: (result: StepResult, submissions: [Submission])
            if workers == 1 {
                measured = calibration
            } else {
                say("confirm \(position + 1)/\(counts.count): \(workers) worker(s) x \(concurrency)")
                measured = try await step.run(workers: workers, index: position + 1)
                results.append(measured.result)
            }
            costs += measured.submissions.compactMap { submission in
                submission.record?.status == .finished ? submission.record?.usage[JobUsage.costMicroUSD] : nil
            }
            let modelled = modelRun.step(workers: workers, concurrency: concurrency)
            let steady = QueueModel(slots: workers * concurrency, arrivalRate: settings.qps, service: service, arrivalVariation: variation)
            report.checks.append(
                CapacityPlanReport.Check(
                    workers: workers, modelCompletedPerSecond: modelled.completedPerSecond,
                    measuredCompletedPerSecond: measured.result.completedPerSecond, modelP95Seconds: modelled.latency.p95,
                    measuredP95Seconds: measured.result.latency.p95, steadyP95Seconds: steady.latency(quantile: 0.95)
                )
            )
        }
        let meanCost = costs.isEmpty ? 0 : Double(costs.reduce(0, +)) / Double(costs.count)
        report.costPerHourUSD = meanCost > 0 ? meanCost / 1_000_000 * settings.qps * 3600 : nil
        return (results.sorted { $0.workers < $1.workers }, report)
    }
}
