import Foundation

/// A self-contained SVG of a run over time (`--timeline`): for each step, second by second,
/// completed/s and failed/s, jobs in flight and waiting (the queue's depth), and the p95 latency
/// of the jobs that ended in that second. The warm-up is shaded and the window's end marked; a
/// chaos run's faults are vertical lines coloured by kind, at the second they struck.
///
/// Each series is a `polyline` whose `class` names it, with `data-workers` and `data-values` (one
/// value per second, empty where there is none); each fault a `line` of class `fault` with
/// `data-kind` and `data-at`: a program reads the figures back as a person reads the picture.
public struct TimelineChart: ReportChart {
    /// The report drawn.
    let report: SimulationReport

    init(report: SimulationReport) {
        self.report = report
    }

    typealias Panel = SimulationChart.Panel
    typealias Stroke = SimulationChart.Stroke

    /// A series: its name (also its `class`), how it is drawn, and its value in a second.
    private struct Series {
        var name: String
        var stroke: Stroke
        var value: @Sendable (StepTimeline.Second) -> Double?
    }

    private static let rates = [
        Series(name: "completed/s", stroke: Stroke(colour: "#1f77b4"), value: { Double($0.completed) }),
        Series(name: "failed/s", stroke: Stroke(colour: "#d62728"), value: { Double($0.failed) }),
    ]
    private static let jobs = [
        Series(name: "in flight", stroke: Stroke(colour: "#2ca02c"), value: { $0.inFlight }),
        Series(name: "waiting", stroke: Stroke(colour: "#7f7f7f", dash: "6 4"), value: { $0.waiting }),
    ]
    private static let latency = [Series(name: "p95 latency", stroke: Stroke(colour: "#9467bd"), value: { $0.p95Seconds })]

    private static let warmupFill = "#f0f0f0"
    /// The colours of fault kinds, in order of first appearance.
    private static let faultColours = ["#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"]

    /// Where the steps' blocks start, and one block's height.
    static let firstBlock = 84.0
    static let blockHeight = 420.0

    /// The steps that have a timeline.
    var steps: [StepResult] { report.steps.filter { $0.timeline != nil } }

    /// The SVG document.
    func render() -> String {
        let width = SimulationChart.width
        let height = Self.firstBlock + Double(max(1, steps.count)) * Self.blockHeight
        var svg: [String] = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" "#
                + #"viewBox="0 0 \#(f(width)) \#(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            "<title>\(SimulationChart.escape(Self.title))</title>",
            SimulationChart.text(Self.title, x: SimulationChart.left, y: 28, size: 16, weight: "bold"),
        ]
        for (index, line) in SimulationChart.scenarioLines(report).enumerated() {
            svg.append(SimulationChart.text(line, x: SimulationChart.left, y: 48 + Double(index) * 16, fill: "#444"))
        }
        if steps.isEmpty {
            svg.append(SimulationChart.text("This report has no timeline (written before timelines were recorded).", x: SimulationChart.left, y: 110))
        }
        let faults = report.chaos?.faults ?? []
        var kinds: [String] = []
        for fault in faults where !kinds.contains(fault.kind) { kinds.append(fault.kind) }
        for (index, step) in steps.enumerated() {
            guard let timeline = step.timeline else { continue }
            svg += block(step, timeline, top: Self.firstBlock + Double(index) * Self.blockHeight, faults: faults, kinds: kinds)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    static let title = "ragsim: each step second by second"

    /// One step: heading, three panels on one time axis, faults across them.
    private func block(
        _ step: StepResult, _ timeline: StepTimeline, top: Double, faults: [ChaosLedger.FaultRecord], kinds: [String]
    ) -> [String] {
        let length = Double(max(1, timeline.seconds.count))
        let left = SimulationChart.left
        let right = SimulationChart.right
        let x: (Double) -> Double = { left + min(max($0, 0), length) / length * (right - left) }
        let panels = [
            (Panel(name: "rates", top: top + 32, bottom: top + 132), Self.rates, "jobs per second"),
            (Panel(name: "jobs", top: top + 154, bottom: top + 254), Self.jobs, "jobs"),
            (Panel(name: "latency", top: top + 276, bottom: top + 356), Self.latency, "p95 (s)"),
        ]
        var svg = [
            SimulationChart.text(
                "\(step.workers) worker(s) x \(step.concurrency): offered \(Simulation.number(step.offeredPerSecond))/s, "
                    + "completed \(Simulation.number(step.completedPerSecond))/s, efficiency \(String(format: "%.2f", step.efficiency))",
                x: left, y: top + 18, size: 13, weight: "bold"
            ),
        ]
        for (panel, series, label) in panels {
            let most = series.flatMap { one in timeline.seconds.compactMap(one.value) }.max() ?? 0
            let axis = SimulationChart.Axis(upTo: most)
            // The warm-up, shaded, under the grid.
            svg.append(
                #"<rect class="warmup" x="\#(f(left))" y="\#(f(panel.top))" width="\#(f(x(timeline.windowStartSeconds) - left))" "#
                    + #"height="\#(f(panel.bottom - panel.top))" fill="\#(Self.warmupFill)"/>"#
            )
            svg += SimulationChart.plotArea(panel, axis: axis, label: label)
            let end = f(x(timeline.windowEndSeconds))
            svg.append(
                #"<line class="window-end" x1="\#(end)" y1="\#(f(panel.top))" x2="\#(end)" y2="\#(f(panel.bottom))" stroke="\#(SimulationChart.axisColour)" stroke-dasharray="2 3"/>"#
            )
            for one in series {
                svg += Self.draw(one, timeline, workers: step.workers, panel: panel, axis: axis, x: x)
            }
            svg += SimulationChart.legend(series.map { ($0.name, .line($0.stroke)) }, top: panel.top)
        }
        let bottom = panels[panels.count - 1].0
        let tick = SimulationChart.Axis(upTo: length).step
        for second in stride(from: 0.0, through: length, by: tick) {
            svg += SimulationChart.xTick(Simulation.number(second), at: x(second), panel: bottom)
        }
        svg.append(
            SimulationChart.text(
                "seconds from the start of traffic (shaded: warm-up; dotted: end of the window; then the drain)",
                x: (left + right) / 2, y: bottom.bottom + 38, anchor: "middle"
            )
        )
        // Faults belong to the chaos run's one step.
        if report.chaos != nil {
            for fault in faults {
                let colour = Self.faultColours[(kinds.firstIndex(of: fault.kind) ?? 0) % Self.faultColours.count]
                let at = f(x(fault.atSeconds))
                svg.append(
                    #"<line class="fault" data-kind="\#(SimulationChart.escape(fault.kind))" data-at="\#(f(fault.atSeconds))" "#
                        + #"x1="\#(at)" y1="\#(f(panels[0].0.top))" x2="\#(at)" y2="\#(f(bottom.bottom))" stroke="\#(colour)" stroke-width="1.5">"#
                        + "<title>\(SimulationChart.escape("\(fault.kind) at \(f(fault.atSeconds)) s: \(fault.detail)"))</title></line>"
                )
            }
            svg += SimulationChart.legend(
                kinds.enumerated().map { ($1, .line(Stroke(colour: Self.faultColours[$0 % Self.faultColours.count], width: 1.5))) },
                top: panels[2].0.top + 24
            )
        }
        return svg
    }

    /// A series as polylines, broken where a second has no value (no job ended in it).
    private static func draw(
        _ series: Series, _ timeline: StepTimeline, workers: Int, panel: Panel, axis: SimulationChart.Axis, x: (Double) -> Double
    ) -> [String] {
        let values = timeline.seconds.map(series.value)
        var runs: [[(Double, Double)]] = [[]]
        for (second, value) in zip(timeline.seconds, values) {
            guard let value else {
                if !(runs.last?.isEmpty ?? true) { runs.append([]) }
                continue
            }
            runs[runs.count - 1].append((x(Double(second.at) + 0.5), axis.position(value, in: panel)))
        }
        let data = values.map { $0.map(f) ?? "" }.joined(separator: ",")
        let slug = series.name.prefix { $0 != "/" }.replacingOccurrences(of: " ", with: "-")
        var svg = [#"<g class="\#(slug)" data-workers="\#(workers)" data-values="\#(data)">"#]
        for run in runs where !run.isEmpty {
            // A lone second is a dot, not an invisible line.
            if run.count == 1, let point = run.first {
                svg.append(#"<circle cx="\#(f(point.0))" cy="\#(f(point.1))" r="2" fill="\#(series.stroke.colour)"/>"#)
            } else {
                svg.append(SimulationChart.polyline(run, stroke: Stroke(colour: series.stroke.colour, width: 1.5, dash: series.stroke.dash)))
            }
        }
        svg.append("</g>")
        return svg
    }

    private func f(_ value: Double) -> String { SimulationChart.format(value) }
    private static func f(_ value: Double) -> String { SimulationChart.format(value) }

    /// Draws the timelines of the report written by `ragsim --json` at `reportPath` to `svgPath`, and says so.
    public static func draw(reportAt reportPath: String, to svgPath: String) throws(RunFailure) {
        try drawing(reportAt: reportPath, to: svgPath)
    }
}
