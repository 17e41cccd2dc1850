import Foundation

/// A picture of a `SimulationReport` as one self-contained SVG document: the chart by worker
/// count (`--svg`) and the timelines (`--timeline`).
protocol ReportChart: Sendable {
    init(report: SimulationReport)
    /// The SVG document.
    func render() -> String
}

extension ReportChart {
    /// Writes the chart to `path`.
    func write(to path: String) throws(SimulationError) {
        do {
            try Data(render().utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SimulationError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Draws the report written by `ragsim --json` at `reportPath` to the SVG file `svgPath`, and says so.
    static func drawing(reportAt reportPath: String, to svgPath: String) throws(RunFailure) {
        try RunFailure.failing { try Self(report: SimulationReport.read(from: reportPath)).write(to: svgPath) }
        Console.line("wrote \(svgPath)")
    }
}
