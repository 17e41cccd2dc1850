import Foundation

/// What a simulation ran and measured: the scenario and one result per worker count. Written by
/// `--json`, read back by `--baseline`.
struct SimulationReport: Sendable, Codable {
    /// The scenario: every setting that shapes the figures.
    struct Scenario: Sendable, Codable, Hashable {
        var workers: String
        var workerCounts: [Int]
        var concurrency: Int
        var qps: Double
        var arrivals: String
        var warmupSeconds: Double
        var durationSeconds: Double
        var drainSeconds: Double
        var profile: String
        var seed: UInt64
        /// `api` (POST /v1/queries) or `queue` (straight onto Valkey).
        var submission: String
        /// Services started by ragsim itself (`valkey`, `openai`, `qdrant`, `api`).
        var embedded: [String]
        var processors: Int
        /// The `--trace` file replayed instead of arrivals at `qps` (then `trace`), if any.
        var trace: String? = nil
        /// The tenants, if the run had any.
        var tenants: [TenantSpec]? = nil
        /// The fake provider's chat limits, if any.
        var providerRequestsPerMinute: Int? = nil
        var providerTokensPerMinute: Int? = nil
        /// Whether the workers paced their model calls.
        var pacing: Bool? = nil
        /// Whether each step drew its own arrivals (nil or false: every step replayed the same ones).
        var arrivalsPerStep: Bool? = nil
        /// How questions repeated and which answer caches were on (nil: questions in turn, no cache).
        var repetition: Repetition? = nil
    }

    /// Format version of this file.
    var version = 1
    /// When the run started (ISO 8601).
    var startedAt: String
    var scenario: Scenario
    var steps: [StepResult]
    /// The ledger of a `--chaos` run (one step); nil otherwise.
    var chaos: ChaosLedger?
    /// What `ragsim plan` found; nil for other runs.
    var plan: CapacityPlanReport? = nil

    /// The encoder and decoder of the file format: snake_case keys, sorted, readable.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Writes the report to `path`.
    func write(to path: String) throws {
        do {
            try Self.encoder.encode(self).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SimulationError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads a report written by `write(to:)`.
    static func read(from path: String) throws -> SimulationReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw SimulationError("cannot read \(path): no such readable file") }
        do {
            return try decoder.decode(SimulationReport.self, from: data)
        } catch let error as DecodingError {
            throw SimulationError("\(path) is not a ragsim --json report: \(Self.describe(error))")
        } catch {
            throw SimulationError("\(path) is not a ragsim --json report: \(error.localizedDescription)")
        }
    }

    /// A decoding error in one line: what is wrong, and where (`steps[0].workers`).
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)) is not \(type)"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)) is null, not \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// The table's header lines.
    static let tableHeader = [
        "workers  conc  offered/s  done/s  failed  unfin    p50     p95     p99     max  wait p95  in flight   util  ceiling/s   eff",
        "-------  ----  ---------  ------  ------  -----  ------  ------  ------  ------  --------  ---------  -----  ---------  ----",
    ]

    /// One table row for `step`; latencies beyond the drain cut-off show as `>drain`, those of a step
    /// that sent nothing inside its window (only a burst before it) as `-`.
    static func row(_ step: StepResult) -> String {
        [
            pad(String(step.workers), 7), pad(String(step.concurrency), 4), pad(String(format: "%.1f", step.offeredPerSecond), 9),
            pad(String(format: "%.1f", step.completedPerSecond), 6), pad(String(step.failed + step.refused), 6),
            pad(String(step.unfinished), 5), pad(seconds(step.latency, \.p50), 6), pad(seconds(step.latency, \.p95), 6),
            pad(seconds(step.latency, \.p99), 6), pad(seconds(step.latency, \.max), 6), pad(seconds(step.queueWait, \.p95), 8),
            pad(String(format: "%.1f", step.meanInFlight), 9), pad(String(format: "%.0f%%", step.utilisation * 100), 5),
            pad(String(format: "%.1f", step.ceilingPerSecond), 9), pad(step.offeredPerSecond > 0 ? String(format: "%.2f", step.efficiency) : "-", 4),
        ].joined(separator: "  ")
    }

    /// A latency in seconds as the tables show it; nil (beyond the drain cut-off) as `>drain`.
    static func seconds(_ value: Double?) -> String {
        guard let value else { return ">drain" }
        if value < 0.9995 { return String(format: "%4.0fms", value * 1000) }
        return value < 10 ? String(format: "%5.2fs", value) : String(format: "%5.1fs", value)
    }

    /// A percentile of `summary`, or "-" when it has no job at all (a tenant that sent nothing in the window).
    static func seconds(_ summary: LatencySummary, _ percentile: KeyPath<LatencySummary, Double?>) -> String {
        summary.samples + summary.beyondCutoff == 0 ? "-" : seconds(summary[keyPath: percentile])
    }

    /// The lines on tenants and the provider under the table for `step`: one row per tenant,
    /// Jain's index, and how often the provider said 429. Empty when the step had neither.
    static func tenantLines(_ step: StepResult) -> [String] {
        var lines: [String] = []
        if let tenants = step.tenants, !tenants.isEmpty {
            lines.append("")
            lines.append("\(step.workers) workers, by tenant (measured window)")
            lines.append("tenant        weight  offered/s  done/s  share  refused  wait p50  wait p95     p95   backlog     tokens     cost")
            for tenant in tenants {
                lines.append([
                    tenant.tenant.padding(toLength: 12, withPad: " ", startingAt: 0), pad(Simulation.number(tenant.weight), 6),
                    pad(String(format: "%.1f", tenant.offeredPerSecond), 9), pad(String(format: "%.1f", tenant.completedPerSecond), 6),
                    pad(String(format: "%.0f%%", tenant.share * 100), 5), pad(String(tenant.refused), 7),
                    pad(seconds(tenant.queueWait, \.p50), 8), pad(seconds(tenant.queueWait, \.p95), 8), pad(seconds(tenant.latency, \.p95), 6),
                    pad(tenant.backlogged ? "yes" : "no", 7), pad(String(tenant.tokens), 9), pad(String(format: "$%.4f", tenant.costUSD), 8),
                ].joined(separator: "  "))
            }
            if let fairness = step.fairness {
                lines.append(String(format: "fairness (Jain's index of done/s per unit of weight, backlogged tenants): %.3f", fairness))
            } else {
                lines.append("fairness: fewer than two tenants had work waiting throughout the window")
            }
        }
        if step.cacheHits != nil || step.coalesced != nil || step.semanticHits != nil {
            let hits = step.cacheHits ?? 0
            let latency = step.cacheHitLatency
            lines.append(
                "answer cache at \(step.workers) worker(s): \(hits) of \(step.submitted) measured queries answered at submit "
                    + String(format: "(%.0f%%)", Double(hits) / Double(max(1, step.submitted)) * 100)
                    + (latency.map { String(format: ", submit to answer in hand p50 %.1f ms, p99 %.1f ms", ($0.p50 ?? 0) * 1000, ($0.p99 ?? 0) * 1000) } ?? "")
                    + "; \(step.coalesced ?? 0) followed an equal question in flight"
                    + (step.semanticHits.map { similar in
                        "; \(similar) answered by a worker with a similar question's answer"
                            + (step.falseHits.map { ", \($0) of them another question's (false hits)" } ?? "")
                    } ?? "")
            )
        }
        if let calls = step.providerCalls, let refusals = step.provider429s, calls > 0 {
            lines.append(String(
                format: "provider at %d worker(s): %d model calls during the step, %d answered 429 (%.2f%%)", step.workers, calls, refusals,
                Double(refusals) / Double(calls) * 100
            ))
        }
        return lines
    }

    /// `text` right-aligned in `width` columns.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
