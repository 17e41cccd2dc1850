import ArgumentParser
import RAGSimulator

/// `ragsim chart`: draws a report written by `ragsim --json` as the same SVG chart as `--svg`.
struct ChartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chart",
        abstract: "Draw a --json report as SVG: the chart of throughput and p95 latency against worker count, or its timelines."
    )

    @Option(help: "A report written by ragsim --json.")
    var json: String
    @Option(help: "Write the chart by worker count (as --svg draws it) to this SVG file.")
    var svg: String?
    @Option(help: "Write the steps' timelines (as --timeline draws them) to this SVG file.")
    var timeline: String?

    func validate() throws {
        if svg == nil && timeline == nil { throw ValidationError("give --svg, --timeline or both") }
    }

    func run() throws {
        try CommandSupport.reportingFailures {
            if let svg { try SimulationChart.draw(reportAt: json, to: svg) }
            if let timeline { try TimelineChart.draw(reportAt: json, to: timeline) }
        }
    }
}
