import Foundation
import Testing
@testable import RAGQueue
@testable import RAGSimulator

@Suite("Chaos plans")
struct ChaosPlanTests {
    @Test("items parse with their defaults; a preset expands to its items")
    func parsing() throws {
        let plan = try ChaosPlan("kill-worker=5,stop-worker=20,restart-valkey=60:2.5,restart-api=40s,backend-faults=30:4")
        #expect(plan.faults == [
            .killWorker(every: .seconds(5)), .stopWorker(at: .seconds(20), length: nil),
            .restartValkey(at: .seconds(60), down: .milliseconds(2500)), .restartAPI(at: .seconds(40), down: .seconds(1)),
            .backendFaults(every: .seconds(30), length: .seconds(4)),
        ])
        #expect(plan.restartsValkey && plan.restartsAPI && plan.injectsBackendFaults)
        let standard = try ChaosPlan("standard")
        #expect(standard.faults.count == 3)
        #expect(!standard.restartsAPI && standard.restartsValkey)
        #expect(try ChaosPlan(standard.description) == standard, "the printed plan parses back to itself")
        let frozen = try ChaosPlan("valkey-down=10,valkey-down=50:120")
        #expect(frozen.faults == [.valkeyDown(at: .seconds(10), length: .seconds(30)), .valkeyDown(at: .seconds(50), length: .seconds(120))])
        #expect(frozen.restartsValkey, "a frozen Valkey must be the embedded one")
        #expect(try ChaosPlan(frozen.description) == frozen)
        #expect(throws: ChaosPlan.ParseError.self) { try ChaosPlan("valkey-down=10:0") }
        let failover = try ChaosPlan("kill-worker=5,failover-valkey=12")
        #expect(failover.faults == [.killWorker(every: .seconds(5)), .failoverValkey(at: .seconds(12))])
        #expect(failover.failsOverValkey && !failover.restartsValkey, "a failover needs the Sentinel group, not the single Valkey")
        #expect(try ChaosPlan(failover.description) == failover)
    }

    @Test("bad plans are refused with a message that names the item", arguments: [
        ("kill-worker", "name=seconds"), ("explode=3", "unknown chaos item 'explode'"), ("kill-worker=0", "above 0"),
        ("kill-worker=5:2", "one period"), ("restart-valkey=abc", "'abc' is not a number"), ("stop-worker=1:2:3", "more than two"),
        ("restart-api=-4", "is not a number of seconds"), ("", "name=seconds"), ("failover-valkey=5:3", "takes one time"),
    ])
    func refusals(text: String, message: String) {
        #expect {
            _ = try ChaosPlan(text)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }

    @Test("one-shot faults at or after the end of traffic are reported; periodic ones are not")
    func outside() throws {
        let plan = try ChaosPlan("kill-worker=500,stop-worker=10,restart-valkey=30,restart-api=29.9,failover-valkey=40")
        #expect(plan.outside(.seconds(30)) == ["restart-valkey", "failover-valkey"])
        #expect(plan.outside(.seconds(31)) == ["failover-valkey"])
        #expect(plan.outside(.seconds(41)).isEmpty)
    }
}

@Suite("Chaos ledger")
struct ChaosLedgerTests {
    private func record(_ status: JobStatus, ends: Int = 1, error: JobFailure? = nil) throws -> JobRecord {
        var fields: [String: [UInt8]] = [
            "status": Array(status.rawValue.utf8), "kind": Array("rag.query".utf8), "created_at": Array("1000".utf8),
            "ends": Array(String(ends).utf8),
        ]
        if let error { fields["error"] = Array(try JSONEncoder().encode(error)) }
        return try #require(try JobRecord(id: JobID(), fields: fields))
    }

    private func fault(kind: String = "kill-worker", held: Int, recovery: Double?, limit: Double? = 6) -> ChaosLedger.FaultRecord {
        .init(kind: kind, atSeconds: 5, detail: "", heldJobs: held, recoverySeconds: recovery, limitSeconds: limit)
    }

    @Test("every accepted id is counted once: finished, failed by reason, canceled, open, lost, duplicated")
    func counts() throws {
        let records: [JobID: JobRecord?] = [
            JobID(): try record(.finished), JobID(): try record(.finished, ends: 2),
            JobID(): try record(.failed, error: JobFailure(code: "lease_expired", message: "lease ran out 3 times", transient: false)),
            JobID(): try record(.failed, error: JobFailure(code: "upstream_rate_limited", message: "429", transient: true)),
            JobID(): try record(.failed, error: JobFailure(code: "upstream_rate_limited", message: "429", transient: true)),
            JobID(): try record(.canceled), JobID(): try record(.scheduled, ends: 0), JobID(): nil,
        ]
        let ledger = ChaosLedger(
            plan: "kill-worker=5", lease: .seconds(15), records: records, notAccepted: 1, resubmissions: 4, enqueued: 8,
            refusedWrites: 2, faults: [fault(held: 3, recovery: 4)]
        )
        #expect(ledger.accepted == 8)
        #expect(ledger.finished == 2)
        #expect(ledger.failedByReason == ["lease_expired": 1, "upstream_rate_limited": 2])
        #expect(ledger.failed == 3)
        #expect(ledger.canceled == 1)
        #expect(ledger.open == 1)
        #expect(ledger.lost == 1)
        #expect(ledger.duplicated == 1)
        #expect(ledger.unnamedFailures == 0)
        #expect(ledger.problems.count == 3, "lost, duplicated and open: \(ledger.problems)")
        #expect(ledger.lines.contains { $0.contains("upstream_rate_limited 2, lease_expired 1") })
    }

    @Test("a clean run has no problems; a failure without a reason and a slow or missing recovery are problems")
    func problems() throws {
        let clean = ChaosLedger(
            plan: "p", lease: .seconds(3), records: [JobID(): try record(.finished)], notAccepted: 0, resubmissions: 0, enqueued: 1,
            refusedWrites: 0, faults: [fault(held: 2, recovery: 5.9), fault(kind: "restart-valkey", held: 0, recovery: nil, limit: nil)]
        )
        #expect(clean.problems.isEmpty)
        let broken = ChaosLedger(
            plan: "p", lease: .seconds(3), records: [JobID(): try record(.failed, error: JobFailure(code: "", message: "", transient: false))],
            notAccepted: 0, resubmissions: 0, enqueued: 1, refusedWrites: 0,
            faults: [fault(held: 2, recovery: 6.5), fault(held: 1, recovery: nil), fault(held: 0, recovery: nil)]
        )
        #expect(broken.unnamedFailures == 1)
        #expect(broken.problems.count == 3, "unnamed failure, slow recovery, no recovery: \(broken.problems)")
    }

    @Test("a reservation left on the budget after every job ended is a problem; one held by an open job is not counted twice")
    func budgetLeft() throws {
        func ledger(_ status: JobStatus, reserved: Int64?) throws -> ChaosLedger {
            ChaosLedger(
                plan: "p", lease: .seconds(3), records: [JobID(): try record(status, ends: status == .queued ? 0 : 1)], notAccepted: 0,
                resubmissions: 0, enqueued: 1, refusedWrites: 0, faults: [], budgetReserved: reserved
            )
        }
        #expect(try ledger(.finished, reserved: 0).problems.isEmpty)
        #expect(try ledger(.finished, reserved: nil).problems.isEmpty)
        let leaked = try ledger(.finished, reserved: 420)
        #expect(leaked.problems == ["420 micro-dollars still reserved against the budget after every job ended"])
        #expect(leaked.lines.contains { $0.contains("reserved") && $0.contains("420") })
        // An open job is its own problem; its reservation is rightly still held.
        #expect(try ledger(.queued, reserved: 420).problems.count == 1)
    }
}
