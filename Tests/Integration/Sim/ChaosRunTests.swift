import Foundation
import Testing
@testable import RAGQueue
import RAGQueueTestSupport

@Suite("Chaos: no accepted query is lost or answered twice")
struct ChaosRunTests {
    /// The parts of `ragsim --json` a chaos run adds.
    struct Report: Decodable {
        struct Ledger: Decodable {
            struct Fault: Decodable {
                var kind: String
                var heldJobs: Int
                var detail: String
            }

            var accepted: Int
            var finished: Int
            var failedByReason: [String: Int]
            var open: Int
            var lost: Int
            var duplicated: Int
            var unnamedFailures: Int
            var faults: [Fault]
            var budgetReserved: Int64?
        }

        var chaos: Ledger
    }

    @Test("workers killed and frozen and Valkey restarted under load: lost 0, duplicated 0, nothing left open or reserved")
    func shortChaosRun() async throws {
        // The real processes (ragserve api and workers), a private Valkey with its append-only file,
        // the fakes at realistic latencies (so that workers hold jobs when struck), a 3-second lease.
        guard let (ledger, log) = try await Self.run([
            "--chaos", "kill-worker=3,stop-worker=5:5,restart-valkey=9", "--workers", "2", "--concurrency", "4",
            "--qps", "4", "--warmup", "0", "--duration", "14", "--drain", "30", "--lease", "3", "--questions", "16",
        ]) else { return }

        Self.expectEveryQueryEndedOnce(ledger, atLeast: 30, log: log)
        #expect(ledger.budgetReserved == 0, "every job, reclaimed ones too, gave back its budget reservation:\n\(log)")
        let kinds = ledger.faults.map(\.kind)
        #expect(kinds.filter { $0 == "kill-worker" }.count == 4, "kills at 3, 6, 9 and 12 s: \(kinds)")
        #expect(kinds.contains("stop-worker") && kinds.contains("restart-valkey"))
        #expect(ledger.faults.contains { $0.kind == "kill-worker" && $0.heldJobs > 0 }, "a killed worker held jobs:\n\(log)")
    }

    @Test("the Sentinel group's primary SIGKILLed under load, with durability replica: a replica is promoted, every accepted query ends once")
    func failoverRun() async throws {
        guard let (ledger, log) = try await Self.run([
            "--valkey", "sentinel", "--durability", "replica", "--chaos", "failover-valkey=4", "--workers", "2", "--concurrency", "4",
            "--qps", "4", "--warmup", "0", "--duration", "10", "--drain", "30", "--lease", "3", "--questions", "16",
        ]) else { return }

        Self.expectEveryQueryEndedOnce(ledger, atLeast: 20, log: log)
        let failover = try #require(ledger.faults.first { $0.kind == "failover-valkey" })
        #expect(failover.detail.contains("the sentinels promoted port"), "\(failover.detail)")
    }

    /// Traffic flowed (more than `atLeast` accepted), and every accepted query ended exactly once:
    /// none lost, duplicated, left open or failed without a reason.
    private static func expectEveryQueryEndedOnce(_ ledger: Report.Ledger, atLeast: Int, log: String) {
        #expect(ledger.accepted > atLeast, "traffic flowed: \(ledger.accepted) accepted")
        #expect(ledger.lost == 0, "lost jobs:\n\(log)")
        #expect(ledger.duplicated == 0, "duplicated results:\n\(log)")
        #expect(ledger.open == 0, "jobs left open after the drain:\n\(log)")
        #expect(ledger.unnamedFailures == 0)
        #expect(ledger.finished + ledger.failedByReason.values.reduce(0, +) == ledger.accepted)
    }

    /// Runs `ragsim` with `arguments` and returns its chaos ledger and output, or nil (with an issue
    /// recorded) when it hangs. Recovery times are figures (ragsim checks them against 2 x the
    /// heartbeat in its exit code and the README shows a full run); a test does not assert timings,
    /// so the exit code is not checked here.
    private static func run(_ arguments: [String]) async throws -> (Report.Ledger, String)? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("report.json").path
        let output = folder.appendingPathComponent("ragsim.log").path
        let ragsim = ChildProcess(executable: builtProduct("ragsim"), arguments: arguments + ["--json", json])
        try ragsim.start(outputPath: output)
        // ragsim bounds its own run (traffic, drain, recovery waits); this only guards against a hang.
        let exit = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await ragsim.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: .seconds(240))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard let exit else {
            await ragsim.stop(with: SIGTERM)  // ragsim stops everything it started on SIGTERM
            Issue.record("ragsim did not finish within 240 s:\n\(log)")
            return nil
        }
        let data = try #require(FileManager.default.contents(atPath: json), "no report (exit \(exit)):\n\(log)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return (try decoder.decode(Report.self, from: data).chaos, log)
    }
}
