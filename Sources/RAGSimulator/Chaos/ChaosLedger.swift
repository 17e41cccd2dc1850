import Foundation
import RAGQueue

/// The account of a chaos run: what became of every accepted query, and how long each fault took
/// to heal. The promise it checks: once accepted, a query ends as finished or as failed with a
/// reason, exactly once, whatever breaks.
struct ChaosLedger: Sendable, Codable, Hashable {
    /// One injected fault.
    struct FaultRecord: Sendable, Codable, Hashable {
        /// The plan item (`kill-worker`, `stop-worker`, ...).
        var kind: String
        /// Seconds from the start of traffic.
        var atSeconds: Double
        /// What was done, in words.
        var detail: String
        /// Jobs the struck worker held (worker faults), else 0.
        var heldJobs: Int
        /// Seconds from the fault until it healed: for worker faults, until the last held job ran
        /// again (or ended); for Valkey, until a job finished after the restart; for the API, until it
        /// answered again; for backend faults, until a job finished after the burst. Nil: never.
        var recoverySeconds: Double?
        /// The promised bound of `recoverySeconds` (2 x the heartbeat for worker faults), if any.
        var limitSeconds: Double?
    }

    /// The plan as run.
    var plan: String
    /// The workers' lease, seconds.
    var leaseSeconds: Double
    /// Queries the API acknowledged (202) with a job id.
    var accepted: Int
    /// Of those: ended `finished`.
    var finished: Int
    /// Ended `failed`, by the failure's code.
    var failedByReason: [String: Int]
    /// Ended `canceled`.
    var canceled: Int
    /// Still waiting, running or scheduled for a retry after the drain.
    var open: Int
    /// Accepted, but neither ended nor findable.
    var lost: Int
    /// Ended with more than one final write.
    var duplicated: Int
    /// Failed without a code or message.
    var unnamedFailures: Int
    /// Submissions never acknowledged (refused, or retried past the client's budget).
    var notAccepted: Int
    /// Submissions sent again with the same Idempotency-Key after an error.
    var resubmissions: Int
    /// Jobs the queue created (its `enqueued` counter): more than `accepted` means jobs whose
    /// acknowledgement was lost and never retried.
    var enqueued: Int
    /// Late writes (complete, fail, release with a stale lease token) the queue refused.
    var refusedWrites: Int
    /// Every fault, in order.
    var faults: [FaultRecord]
    /// Micro-dollars the traffic's tenant still had reserved against its budget after the drain:
    /// 0 when every ended job, reclaimed ones included, gave its reservation back. Nil: not checked
    /// (an outside API, whose tenants the run does not set).
    var budgetReserved: Int64? = nil

    /// Failed jobs, all reasons.
    var failed: Int { failedByReason.values.reduce(0, +) }

    /// Counts what became of each accepted id from its record (nil: not found).
    init(
        plan: String, lease: Duration, records: [JobID: JobRecord?], notAccepted: Int, resubmissions: Int, enqueued: Int,
        refusedWrites: Int, faults: [FaultRecord], budgetReserved: Int64? = nil
    ) {
        self.plan = plan
        leaseSeconds = lease.seconds
        accepted = records.count
        var finished = 0, canceled = 0, open = 0, lost = 0, duplicated = 0, unnamed = 0
        var failedByReason: [String: Int] = [:]
        for record in records.values {
            guard let record else {
                lost += 1
                continue
            }
            if record.endCount > 1 { duplicated += 1 }
            switch record.status {
            case .finished: finished += 1
            case .canceled: canceled += 1
            case .failed:
                let code = record.error?.code ?? ""
                if code.isEmpty || (record.error?.message ?? "").isEmpty { unnamed += 1 }
                failedByReason[code.isEmpty ? "(none)" : code, default: 0] += 1
            case .queued, .started, .scheduled: open += 1
            }
        }
        self.finished = finished
        self.failedByReason = failedByReason
        self.canceled = canceled
        self.open = open
        self.lost = lost
        self.duplicated = duplicated
        unnamedFailures = unnamed
        self.notAccepted = notAccepted
        self.resubmissions = resubmissions
        self.enqueued = enqueued
        self.refusedWrites = refusedWrites
        self.faults = faults
        self.budgetReserved = budgetReserved
    }

    /// The broken promises, one line each; empty when the run kept every one.
    var problems: [String] {
        var problems: [String] = []
        if lost > 0 { problems.append("\(lost) accepted job(s) lost") }
        if duplicated > 0 { problems.append("\(duplicated) job(s) with more than one final result") }
        if open > 0 { problems.append("\(open) job(s) still open after the drain") }
        if unnamedFailures > 0 { problems.append("\(unnamedFailures) failure(s) without a reason") }
        if let budgetReserved, budgetReserved != 0, open == 0 {
            problems.append("\(budgetReserved) micro-dollars still reserved against the budget after every job ended")
        }
        for fault in faults {
            guard let limit = fault.limitSeconds else { continue }
            let at = "\(fault.kind) at \(Self.seconds(fault.atSeconds))"
            if let recovery = fault.recoverySeconds {
                if recovery > limit { problems.append("\(at): jobs ran again after \(Self.seconds(recovery)), beyond \(Self.seconds(limit))") }
            } else if fault.heldJobs > 0 {
                problems.append("\(at): held jobs never ran again")
            }
        }
        return problems
    }

    /// The ledger as printed.
    var lines: [String] {
        let reasons = failedByReason.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var lines = [
            "chaos ledger (plan \(plan), lease \(Self.seconds(leaseSeconds)))",
            row("accepted", accepted, "acknowledged with a job id; \(enqueued) created by the queue, \(notAccepted) not accepted, "
                + "\(resubmissions) resubmitted with the same Idempotency-Key"),
            row("finished", finished),
            row("failed", failed, reasons),
            row("canceled", canceled),
            row("still open", open, "after the drain"),
            row("lost", lost, "accepted, neither ended nor findable"),
            row("duplicated", duplicated, "more than one final result written"),
            row("refused", refusedWrites, "late writes refused: the lease had been taken over"),
        ]
        if let budgetReserved {
            lines.append(row("reserved", Int(budgetReserved), "micro-dollars still reserved against the tenant's budget after the drain"))
        }
        lines.append("faults:")
        for fault in faults {
            var line = "  \(Self.seconds(fault.atSeconds).padding(toLength: 8, withPad: " ", startingAt: 0)) \(fault.kind): \(fault.detail)"
            if fault.limitSeconds != nil || fault.recoverySeconds != nil {
                let recovery = fault.recoverySeconds.map(Self.seconds) ?? "never"
                line += "; recovered in \(recovery)" + (fault.limitSeconds.map { " (limit \(Self.seconds($0)))" } ?? "")
            }
            lines.append(line)
        }
        if faults.isEmpty { lines.append("  none injected") }
        return lines
    }

    private func row(_ name: String, _ value: Int, _ note: String = "") -> String {
        "  " + name.padding(toLength: 11, withPad: " ", startingAt: 0) + SimulationReport.pad(String(value), 7) + (note.isEmpty ? "" : "   \(note)")
    }

    static func seconds(_ value: Double) -> String {
        String(format: "%.1f s", value)
    }
}
