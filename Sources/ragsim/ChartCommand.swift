import ArgumentParser
import RAGSimulator

/// `ragsim chart`: draws a report written by `ragsim --json` as the same SVG chart as `--svg`.
struct ChartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chart",
        abstract: "Draw a --json report as an SVG chart of throughput and p95 latency against worker count."
    )

    @Option(help: "A report written by ragsim --json.")
    var json: String
    @Option(help: "The SVG file to write.")
    var svg: String

    func run() throws {
        try CommandSupport.reportingFailures { try SimulationChart.draw(reportAt: json, to: svg) }
    }
}
