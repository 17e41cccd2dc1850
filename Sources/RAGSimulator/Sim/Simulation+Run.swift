import Foundation
import Logging
import Synchronization
import UnixSignals

extension Simulation {
    /// Runs the simulation `options` describe and prints its table, then writes, checks and
    /// compares what they ask for. Everything started is stopped at the end, on error and on
    /// SIGINT or SIGTERM. Throws `RunFailure` for a run that ends with one line: a setting that
    /// cannot be met, a failed run (exit status 130 when interrupted), a broken chaos promise, a
    /// figure below the baseline.
    public static func run(_ options: Options) async throws {
        let settings = try Settings(options: options)
        let baselineReport = try options.baselinePath.map { try SimulationReport.read(from: $0) }
        var logger = Logger(label: "ragsim")
        logger.logLevel = .warning
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("ragsim-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let reaper = ProcessReaper()
        let say: @Sendable (String) -> Void = { line in Console.line(line) }
        let simulation = Simulation(settings: settings, reaper: reaper, logger: logger, say: say)

        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let interrupted = Mutex(false)
        let work = Task { try await simulation.run(workDirectory: workDirectory) }
        let watcher = Task {
            for await _ in signals {
                interrupted.withLock { $0 = true }
                work.cancel()
                break
            }
        }
        let result = await work.result
        watcher.cancel()
        await reaper.stopAll()

        let report: SimulationReport
        do {
            report = try result.get()
        } catch {
            let wasInterrupted = interrupted.withLock { $0 }
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: workDirectory.path))?.contains { $0.hasSuffix(".log") } ?? false
            if !logs { try? FileManager.default.removeItem(at: workDirectory) }
            let whereLogs = logs ? " (logs in \(workDirectory.path))" : ""
            if wasInterrupted { throw RunFailure("interrupted; stopped everything it started\(whereLogs)", exitStatus: 130) }
            throw RunFailure("\(error)\(whereLogs)")
        }
        try? FileManager.default.removeItem(at: workDirectory)

        Console.line("")
        for line in SimulationReport.tableHeader { Console.line(line) }
        for step in report.steps { Console.line(SimulationReport.row(step)) }
        Console.line("latency: end to end (created_at to ended_at) of jobs sent in the window; wait: to first start; "
            + "done/s: jobs ended in the window; eff: slot time on jobs that finished over slot time that had work (docs/simulation.md)")
        if report.steps.contains(where: { !SimulationReport.tenantLines($0).isEmpty }) { Console.line("") }
        for step in report.steps {
            for line in SimulationReport.tenantLines(step) { Console.line(line) }
        }
        for line in report.plan?.lines ?? [] { Console.line(line) }
        if let json = options.jsonPath {
            try RunFailure.failing { try report.write(to: json) }
            Console.line("wrote \(json)")
        }
        for case let (path?, chart) in [(options.svgPath, SimulationChart(report: report) as any ReportChart), (options.timelinePath, TimelineChart(report: report))] {
            try RunFailure.failing { try chart.write(to: path) }
            Console.line("wrote \(path)")
        }
        if let ledger = report.chaos {
            Console.line("")
            for line in ledger.lines { Console.line(line) }
            let problems = ledger.problems
            guard problems.isEmpty else { throw RunFailure("chaos broke a promise: \(problems.joined(separator: "; "))") }
            Console.line("every accepted query ended exactly once; no job lost")
        }
        if let baselineReport {
            let check = BaselineCheck(baseline: baselineReport, tolerance: options.tolerance)
            let (lines, passed) = try RunFailure.failing { try check.compare(report) }
            for line in lines { Console.line(line) }
            guard passed else { throw RunFailure("below the baseline beyond \(Self.number(options.tolerance))%") }
        }
    }
}
