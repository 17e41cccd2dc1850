import Foundation

/// A self-contained SVG chart of a `SimulationReport`: completed/s with the offered rate and the
/// ceiling in the top panel, p95 latency in the bottom one, both against the worker count. A run
/// with tenants adds a panel of bars below: each tenant's done/s at the largest step, with its
/// share, queue wait and cost.
///
/// Every point carries `data-workers` and `data-value` attributes, and each panel's plot area is a
/// `rect` with `class="plot"`, so the chart's figures can be read back by a program as well as a person.
public struct SimulationChart: ReportChart {
    /// The report drawn.
    let report: SimulationReport

    /// Canvas width and height without the tenants' panel, in SVG user units (pixels at 100%).
    static let width = 820.0
    static let height = 600.0
    /// The tenants' panel: where it starts and the height of one tenant's row.
    static let tenantsTop = 612.0
    static let tenantRow = 26.0

    /// The step whose tenants are drawn: the largest worker count that has any.
    var tenantStep: StepResult? {
        report.steps.filter { !($0.tenants ?? []).isEmpty }.max { $0.workers < $1.workers }
    }

    /// The canvas height, with room for the tenants' panel when there is one.
    var canvasHeight: Double {
        guard let tenants = tenantStep?.tenants else { return Self.height }
        return Self.tenantsTop + 44 + Double(tenants.count) * Self.tenantRow + 16
    }
    /// Plot-area edges shared by both panels.
    static let left = 84.0
    static let right = 620.0

    /// One panel's plot area, top to bottom.
    struct Panel: Sendable, Hashable {
        var name: String
        var top: Double
        var bottom: Double
    }

    static let throughput = Panel(name: "throughput", top: 96, bottom: 310)
    static let latency = Panel(name: "latency", top: 370, bottom: 540)

    /// The series of the top panel: name, colour, dash pattern, and the figure per step.
    /// How a line is drawn.
    struct Stroke: Sendable {
        var colour: String
        var width = 2.0
        var dash: String? = nil
        var opacity = 1.0

        /// The SVG attributes of the stroke.
        var attributes: String {
            #"stroke="\#(colour)" stroke-width="\#(format(width))""# + (dash.map { #" stroke-dasharray="\#($0)""# } ?? "")
                + (opacity < 1 ? #" stroke-opacity="\#(format(opacity))""# : "")
        }
    }

    /// The series of the top panel, in legend order. The ceiling is a wide pale band, so that
    /// completed/s stays visible on it when a step is saturated and the two coincide.
    private static let rateSeries: [(name: String, stroke: Stroke, value: @Sendable (StepResult) -> Double)] = [
        ("completed/s", Stroke(colour: "#1f77b4"), { $0.completedPerSecond }),
        ("offered/s", Stroke(colour: "#7f7f7f", dash: "6 4"), { $0.offeredPerSecond }),
        ("ceiling/s", Stroke(colour: "#ff7f0e", width: 8, opacity: 0.35), { $0.ceilingPerSecond }),
    ]
    private static let latencyColour = "#d62728"
    static let axisColour = "#333"
    static let gridColour = "#ddd"

    /// The SVG document.
    func render() -> String {
        let steps = report.steps.sorted { $0.workers < $1.workers }
        let x = Self.xScale(steps.map(\.workers))
        let height = canvasHeight
        var svg: [String] = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Self.format(Self.width))" height="\#(Self.format(height))" "#
                + #"viewBox="0 0 \#(Self.format(Self.width)) \#(Self.format(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            "<title>\(Self.escape(Self.title))</title>",
            Self.text(Self.title, x: Self.left, y: 28, size: 16, weight: "bold"),
        ]
        for (index, line) in Self.scenarioLines(report).enumerated() {
            svg.append(Self.text(line, x: Self.left, y: 48 + Double(index) * 16, fill: "#444"))
        }
        svg += Self.throughputPanel(steps, x: x)
        svg += Self.latencyPanel(steps, x: x)
        svg.append(
            Self.text(
                "worker processes (x \(report.scenario.concurrency) jobs each)", x: (Self.left + Self.right) / 2, y: Self.latency.bottom + 44,
                anchor: "middle"
            )
        )
        if let step = tenantStep {
            svg += Self.tenantPanel(step)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// Completed, offered and ceiling per second.
    private static func throughputPanel(_ steps: [StepResult], x: (Int) -> Double) -> [String] {
        let workers = steps.map(\.workers)
        var svg: [String] = []
        let rateMax = steps.flatMap { step in Self.rateSeries.map { $0.value(step) } }.max() ?? 0
        let rateAxis = Axis(upTo: rateMax)
        svg += Self.frame(Self.throughput, axis: rateAxis, workers: workers, x: x, label: "jobs per second")
        // Completed last, on top: at saturation it lies on the ceiling.
        for series in Self.rateSeries.reversed() {
            let points = steps.map { (x: x($0.workers), y: rateAxis.position(series.value($0), in: Self.throughput), step: $0) }
            svg.append(Self.polyline(points.map { ($0.x, $0.y) }, stroke: series.stroke))
            for point in points {
                let value = series.value(point.step)
                svg.append(
                    #"<circle class="\#(Self.slug(series.name))" data-workers="\#(point.step.workers)" data-value="\#(Self.format(value))" "#
                        + #"cx="\#(Self.format(point.x))" cy="\#(Self.format(point.y))" r="\#(series.stroke.dash == nil ? 4 : 3)" fill="\#(series.stroke.colour)" "#
                        + #"fill-opacity="\#(Self.format(series.stroke.opacity))">"#
                        + "<title>\(point.step.workers) worker(s): \(series.name) \(String(format: "%.2f", value))</title></circle>"
                )
            }
        }
        svg += Self.legend(Self.rateSeries.map { ($0.name, .line($0.stroke)) }, top: Self.throughput.top)
        return svg
    }

    /// p95 latency; a step whose p95 fell among unfinished jobs is marked above the axis.
    private static func latencyPanel(_ steps: [StepResult], x: (Int) -> Double) -> [String] {
        let workers = steps.map(\.workers)
        var svg: [String] = []
        let known = steps.compactMap(\.latency.p95)
        let latencyAxis = Axis(upTo: known.max() ?? 0)
        svg += Self.frame(Self.latency, axis: latencyAxis, workers: workers, x: x, label: "p95 latency (s)")
        let latencyPoints = steps.compactMap { step in step.latency.p95.map { (x(step.workers), latencyAxis.position($0, in: Self.latency)) } }
        svg.append(Self.polyline(latencyPoints, stroke: Stroke(colour: Self.latencyColour)))
        for step in steps {
            let cx = Self.format(x(step.workers))
            if let p95 = step.latency.p95 {
                svg.append(
                    #"<circle class="p95" data-workers="\#(step.workers)" data-value="\#(Self.format(p95))" cx="\#(cx)" "#
                        + #"cy="\#(Self.format(latencyAxis.position(p95, in: Self.latency)))" r="4" fill="\#(Self.latencyColour)">"#
                        + "<title>\(step.workers) worker(s): p95 \(String(format: "%.2f", p95)) s</title></circle>"
                )
            } else {
                let top = Self.latency.top
                svg.append(
                    #"<path class="p95-beyond-drain" data-workers="\#(step.workers)" \#(Self.triangle(x: x(step.workers), y: top - 7))>"#
                        + "<title>\(step.workers) worker(s): p95 beyond the drain (unfinished jobs)</title></path>"
                )
                svg.append(Self.text(">drain", x: x(step.workers), y: top - 16, anchor: "middle", fill: Self.latencyColour, size: 10))
            }
        }
        svg += Self.legend(
            [("p95 latency", .line(Stroke(colour: Self.latencyColour))), ("p95 beyond the drain", .triangle)], top: Self.latency.top
        )
        return svg
    }

    /// One bar per tenant: done/s at `step`, labelled with its weight, share, p95 queue wait and cost;
    /// Jain's index in the heading. Each bar is a `rect` of class `tenant` with `data-tenant` and `data-value`.
    private static func tenantPanel(_ step: StepResult) -> [String] {
        let tenants = step.tenants ?? []
        let fairness = step.fairness.map { String(format: ", Jain's fairness index %.3f", $0) } ?? ""
        var svg = [
            text("By tenant at \(step.workers) worker(s), measured window\(fairness)", x: left, y: tenantsTop + 16, size: 13, weight: "bold"),
        ]
        let top = tenantsTop + 32
        let most = tenants.map(\.completedPerSecond).max() ?? 0
        let span = (right - left) * 0.62
        let colours = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
        for (index, tenant) in tenants.enumerated() {
            let y = top + Double(index) * tenantRow
            let width = most > 0 ? tenant.completedPerSecond / most * span : 0
            let wait = SimulationReport.seconds(tenant.queueWait, \.p95).trimmingCharacters(in: .whitespaces)
            let label = String(format: "%.1f done/s, %.0f%% share, weight ", tenant.completedPerSecond, tenant.share * 100)
                + "\(Simulation.number(tenant.weight)), wait p95 \(wait), " + String(format: "$%.4f", tenant.costUSD)
            svg.append(text(tenant.tenant, x: left - 8, y: y + 14, anchor: "end"))
            svg.append(
                #"<rect class="tenant" data-tenant="\#(escape(tenant.tenant))" data-value="\#(format(tenant.completedPerSecond))" "#
                    + #"x="\#(format(left))" y="\#(format(y))" width="\#(format(max(width, 1)))" height="\#(format(tenantRow - 8))" "#
                    + #"fill="\#(colours[index % colours.count])"><title>\#(escape(tenant.tenant)): \#(escape(label))</title></rect>"#
            )
            svg.append(text(label, x: left + max(width, 1) + 8, y: y + 14, fill: "#444", size: 11))
        }
        return svg
    }

    /// Draws the report written by `ragsim --json` at `reportPath` to the SVG file `svgPath`, and says so.
    public static func draw(reportAt reportPath: String, to svgPath: String) throws(RunFailure) {
        try drawing(reportAt: reportPath, to: svgPath)
    }

    /// A value axis from 0 to a round maximum, with 4 to 6 ticks.
    struct Axis: Sendable, Hashable {
        /// The axis's top value and the distance between ticks.
        let maximum: Double
        let step: Double

        /// An axis that reaches at least `value`; 0 gives an axis up to 1.
        init(upTo value: Double) {
            guard value > 0, value.isFinite else {
                (maximum, step) = (1, 0.2)
                return
            }
            let magnitude = pow(10, log10(value / 5).rounded(.down))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 * 5 >= value } ?? magnitude * 10
            self.step = step
            maximum = (value / step).rounded(.up) * step
        }

        /// The tick values from 0 to the maximum.
        var ticks: [Double] {
            (0...Int((maximum / step).rounded())).map { Double($0) * step }
        }

        /// The y coordinate of `value` in `panel`.
        func position(_ value: Double, in panel: Panel) -> Double {
            panel.bottom - min(max(value, 0), maximum) / maximum * (panel.bottom - panel.top)
        }
    }

    /// Worker counts to x: linear from the smallest to the largest, a single one in the middle.
    private static func xScale(_ workers: [Int]) -> @Sendable (Int) -> Double {
        let low = Double(workers.min() ?? 0)
        let high = Double(workers.max() ?? 0)
        let inset = 24.0
        guard high > low else { return { _ in (left + right) / 2 } }
        return { (left + inset) + (Double($0) - low) / (high - low) * (right - left - 2 * inset) }
    }

    /// A panel's plot area, grid, y ticks with labels, x ticks at each worker count, and its y-axis label.
    private static func frame(_ panel: Panel, axis: Axis, workers: [Int], x: (Int) -> Double, label: String) -> [String] {
        var lines = plotArea(panel, axis: axis, label: label)
        for count in Set(workers).sorted() {
            lines += xTick(String(count), at: x(count), panel: panel)
        }
        return lines
    }

    /// A panel's plot area, its grid and y ticks with labels, and its y-axis label.
    static func plotArea(_ panel: Panel, axis: Axis, label: String) -> [String] {
        var lines = [
            #"<rect class="plot" data-panel="\#(panel.name)" x="\#(format(left))" y="\#(format(panel.top))" "#
                + #"width="\#(format(right - left))" height="\#(format(panel.bottom - panel.top))" fill="none" stroke="\#(axisColour)"/>"#,
        ]
        for tick in axis.ticks {
            let y = format(axis.position(tick, in: panel))
            lines.append(#"<line x1="\#(format(left))" y1="\#(y)" x2="\#(format(right))" y2="\#(y)" stroke="\#(gridColour)"/>"#)
            lines.append(text(format(tick), x: left - 8, y: axis.position(tick, in: panel) + 4, anchor: "end"))
        }
        let middle = format((panel.top + panel.bottom) / 2)
        lines.append(
            #"<text x="20" y="\#(middle)" text-anchor="middle" transform="rotate(-90 20 \#(middle))">\#(escape(label))</text>"#
        )
        return lines
    }

    /// A tick below `panel` at `x`, labelled.
    static func xTick(_ label: String, at x: Double, panel: Panel) -> [String] {
        let cx = format(x)
        return [
            #"<line x1="\#(cx)" y1="\#(format(panel.bottom))" x2="\#(cx)" y2="\#(format(panel.bottom + 5))" stroke="\#(axisColour)"/>"#,
            text(label, x: x, y: panel.bottom + 19, anchor: "middle"),
        ]
    }

    /// How a legend entry is drawn.
    enum Mark {
        case line(Stroke)
        case triangle
    }

    /// A legend right of the plot area, from `top` down.
    static func legend(_ entries: [(name: String, mark: Mark)], top: Double) -> [String] {
        let x = right + 16
        return entries.enumerated().flatMap { index, entry -> [String] in
            let row = top + 8 + Double(index) * 20
            let mark = switch entry.mark {
            case .line(let stroke):
                #"<line x1="\#(format(x))" y1="\#(format(row))" x2="\#(format(x + 24))" y2="\#(format(row))" \#(stroke.attributes)/>"#
            case .triangle:
                "<path \(triangle(x: x + 12, y: row))/>"
            }
            return [mark, text(entry.name, x: x + 30, y: row + 4)]
        }
    }

    /// The attributes of an open triangle pointing up, centred on (x, y).
    private static func triangle(x: Double, y: Double) -> String {
        #"d="M \#(format(x)) \#(format(y - 5)) l -6 10 h 12 z" fill="none" stroke="\#(latencyColour)" stroke-width="1.5""#
    }

    static func polyline(_ points: [(Double, Double)], stroke: Stroke) -> String {
        let list = points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ")
        return #"<polyline points="\#(list)" fill="none" \#(stroke.attributes)/>"#
    }

    static func text(
        _ content: String, x: Double, y: Double, anchor: String = "start", fill: String = "#222", size: Int = 12, weight: String = "normal"
    ) -> String {
        #"<text x="\#(format(x))" y="\#(format(y))" text-anchor="\#(anchor)" fill="\#(fill)" font-size="\#(size)" font-weight="\#(weight)">"#
            + escape(content) + "</text>"
    }

    static let title = "ragsim: throughput and p95 latency by worker count"

    /// The scenario in two lines: the load, then the windows and the machine.
    static func scenarioLines(_ report: SimulationReport) -> [String] {
        let scenario = report.scenario
        let traffic = scenario.trace.map { "trace \($0) (\(Simulation.number(scenario.qps)) qps)" }
            ?? "\(Simulation.number(scenario.qps)) qps \(scenario.arrivals)"
        return [
            "workers \(scenario.workers) x concurrency \(scenario.concurrency), \(traffic), profile \(scenario.profile), seed \(scenario.seed)",
            "warm-up \(Simulation.number(scenario.warmupSeconds)) s, measured \(Simulation.number(scenario.durationSeconds)) s, "
                + "drain <= \(Simulation.number(scenario.drainSeconds)) s; \(scenario.processors) cores; started \(report.startedAt)",
        ]
    }

    /// Up to two decimals, no trailing zeros.
    static func format(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    private static func slug(_ name: String) -> String {
        String(name.prefix { $0 != "/" })
    }

    /// `text` with XML's five special characters escaped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
