import Foundation
import Testing
@testable import RAGQueue
import RAGQueueTestSupport

/// `ragsim` as a child process, on input it must refuse before starting anything.
@Suite("ragsim process", .timeLimit(.minutes(1)))
struct RagSimProcessTests {
    /// Runs `ragsim arguments` and returns its exit code and everything it printed.
    private func ragsim(_ arguments: [String]) async throws -> (code: Int32, output: String) {
        try await runProduct("ragsim", arguments)
    }

    @Test("a bad trace line gives one line naming the file and line, exit 1, and nothing started")
    func badTraceLine() async throws {
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(JobID().rawValue.prefix(6)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let lines = #"{"offset": 0, "question": "fine"}"# + "\n" + #"{"offset": "soon", "question": "q"}"# + "\n"
        try lines.write(toFile: trace, atomically: true, encoding: .utf8)
        let (code, output) = try await ragsim(["--trace", trace, "--workers", "1"])
        #expect(code == 1)
        #expect(output == "ragsim: \(trace) line 2: \"offset\" must be a number of seconds from 0 to 86400\n")
    }

    @Test("with its output to a file, ragsim writes each line as it goes: a long run shows its progress in a CI log")
    func lineByLine() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ragsim-\(JobID().rawValue.prefix(6)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = ChildProcess(executable: builtProduct("ragsim"), arguments: ["--workers", "1", "--duration", "600", "--profile", "zero"])
        try child.start(outputPath: log)
        do {
            try await eventually(timeout: .seconds(45), "the scenario line in the file while ragsim still runs") {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return text.contains("scenario:") && child.isRunning
            }
        } catch {
            await child.stop(with: SIGTERM)
            throw error
        }
        _ = await child.stop(with: SIGTERM)  // ragsim stops everything it started on SIGTERM
    }

    @Test("a missing trace and an unwritable chart are refused before anything starts")
    func badPaths() async throws {
        let missing = try await ragsim(["--trace", "/nonexistent/trace.jsonl"])
        #expect(missing.code == 1)
        #expect(missing.output == "ragsim: --trace /nonexistent/trace.jsonl: no such readable file\n")
        let chart = try await ragsim(["--svg", "/nonexistent/chart.svg"])
        #expect(chart.code != 0)
        #expect(chart.output.contains("--svg /nonexistent/chart.svg: cannot write in /nonexistent"))
        #expect(!chart.output.contains("scenario:"))
    }
    @Test("bench-queue measures its rows, then puts python-rq's rate beside the best; without rq it says it left it out")
    func benchQueue() async throws {
        // A stand-in interpreter: imports rq, and answers the comparison script with a fixed rate.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-queue-\(JobID().rawValue.prefix(6))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let python = directory + "/python"
        try "#!/bin/sh\n[ \"$1\" = -c ] && exit 0\necho jobs_per_second=40.0\n".write(toFile: python, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python)
        let script = directory + "/rq_noop.py"
        try "".write(toFile: script, atomically: true, encoding: .utf8)
        let common = ["bench-queue", "--processes", "1", "--concurrency", "4", "--jobs", "200", "--producers", "2", "--rq-script", script]

        let (code, output) = try await ragsim(common + ["--python", python])
        #expect(code == 0, "\(output)")
        let lines = output.split(separator: "\n")
        let rows: [[Substring]] = lines.map { $0.split(separator: " ") }
        let row = try #require(rows.first { $0.count == 5 && $0[0] == "1" && $0[1] == "4" })
        let rate = try #require(Double(row[2]))
        let comparison = try #require(lines.first { $0.hasPrefix("python-rq SimpleWorker") }, "\(output)")
        #expect(comparison.contains("40 jobs/s"))
        // The ratio is the best row's unrounded rate over rq's, rounded: within half a unit of the
        // printed (rounded) rate's.
        let ratio = try #require(comparison.split(separator: " ").dropLast(2).last.flatMap { Double($0) }, "\(comparison)")
        #expect(comparison.hasSuffix(" x that"))
        #expect(abs(ratio - rate / 40) <= 0.5 + 0.5 / 40, "\(comparison)")

        // Then Valkey's time per script call: a row per step, each with positive figures.
        for step in ["enqueue, one job a call", "claim, one job a call", "complete, one job a call", "enqueue, 2000 at once", "claim, 2000 at once", "complete, 2000 at once"] {
            let line = try #require(lines.first { $0.hasPrefix(step) }, "\(output)")
            let figures = line.dropFirst(step.count).split(separator: " ").compactMap { Double($0) }
            #expect(figures.count == 3 && figures.allSatisfy { $0 > 0 }, "\(line)")
        }

        let (plainCode, plain) = try await ragsim(common + ["--python", directory + "/none"])
        #expect(plainCode == 0, "\(plain)")
        #expect(plain.contains("python-rq: not measured"))
    }

    @Test("bench-worker runs RAG jobs through a real api and worker and reports each rate, the per-request floor and each in-flight count")
    func benchWorker() async throws {
        let (code, output) = try await ragsim(["bench-worker", "--rates", "5", "--seconds", "1", "--in-flight", "4", "--hold", "0.5", "--settle", "0"])
        #expect(code == 0, "\(output)")
        let rows = output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // q/s, jobs, errors, p50, p99, then CPU per job of worker, api, Valkey and the benchmark, Valkey commands and calls, kept up.
        let rate = try #require(rows.first { $0.count == 12 && $0[0] == "5" })
        #expect(rate[1] == "5" && rate[2] == "0")
        #expect(rate[5...8].allSatisfy { Double($0) != nil })
        // The floor: CPU per request of the api's /healthz and of a bare Hummingbird server, server and client.
        for server in ["ragserve api, GET /healthz", "Hummingbird alone (fake Qdrant, GET /)"] {
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix(server) }, "no floor row for \(server)")
            let figures = line.dropFirst(server.count).split(separator: " ").compactMap { Double($0) }
            #expect(figures.count == 2, "\(line)")
        }
        // in flight, resident MB, KB per job, sockets, threads.
        let memory = try #require(rows.first { $0.count == 5 && $0[0] == "4" })
        #expect((Int(memory[3]) ?? 0) >= 4, "a socket per job in flight at least")
        #expect(output.contains("highest rate kept up"))
        #expect(output.contains("after the last burst ended"))
    }
}
