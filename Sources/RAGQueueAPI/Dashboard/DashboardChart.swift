import Foundation

/// Line charts as inline SVG, drawn on the server from numbers only (no script, no library): the
/// dashboard's throughput and latency over the last minutes. A gap in a line is a bucket with no value.
enum DashboardChart {
    struct Line {
        var label: String
        var color: String
        var values: [Double?]
    }

    static let width = 560.0
    static let height = 170.0
    private static let left = 52.0, right = 10.0, top = 24.0, bottom = 22.0

    /// A chart named `name` (its `data-chart`), titled `title`, values in `unit`; `span` labels the
    /// x axis's left end ("-10 min").
    static func svg(name: String, title: String, unit: String, span: String, lines: [Line]) -> String {
        let count = lines.map(\.values.count).max() ?? 0
        let highest = lines.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        let ceiling = niceCeiling(highest)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ index: Int) -> Double { left + (count > 1 ? Double(index) / Double(count - 1) : 0) * plotWidth }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - min(value, ceiling) / ceiling) }

        var svg = #"<svg class="chart" data-chart="\#(escaped(name))" viewBox="0 0 \#(format(width)) \#(format(height))" role="img" aria-label="\#(escaped(title))" xmlns="http://www.w3.org/2000/svg">"#
        svg += #"<text x="\#(format(left))" y="14" class="chart-title">\#(escaped(title))</text>"#
        var legendX = width - right
        for line in lines.reversed() {
            svg += #"<text x="\#(format(legendX))" y="14" text-anchor="end" fill="\#(line.color)" class="chart-legend">\#(escaped(line.label))</text>"#
            legendX -= Double(line.label.count) * 7 + 14
        }
        for fraction in [0.0, 0.5, 1.0] {
            let level = top + plotHeight * (1 - fraction)
            svg += #"<line x1="\#(format(left))" x2="\#(format(width - right))" y1="\#(format(level))" y2="\#(format(level))" class="chart-grid"/>"#
            svg += #"<text x="\#(format(left - 6))" y="\#(format(level + 4))" text-anchor="end" class="chart-axis">\#(escaped(label(ceiling * fraction, unit: unit)))</text>"#
        }
        svg += #"<text x="\#(format(left))" y="\#(format(height - 6))" class="chart-axis">\#(escaped(span))</text>"#
        svg += #"<text x="\#(format(width - right))" y="\#(format(height - 6))" text-anchor="end" class="chart-axis">now</text>"#
        for line in lines {
            var path = ""
            var drawing = false
            for (index, value) in line.values.enumerated() {
                guard let value else {
                    drawing = false
                    continue
                }
                path += (drawing ? "L" : "M") + format(x(index)) + " " + format(y(value)) + " "
                drawing = true
            }
            let last = line.values.last(where: { $0 != nil }).flatMap { $0 }.map { format($0, digits: 4) } ?? ""
            svg += #"<path d="\#(path)" fill="none" stroke="\#(line.color)" stroke-width="1.6" data-line="\#(escaped(line.label))" data-last="\#(last)"/>"#
        }
        return svg + "</svg>"
    }

    /// The smallest of 1, 2, 5 x 10^k at or above `value` (1 for nothing above zero).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 5.0, 10.0] where step * power >= value { return step * power }
        return 10 * power
    }

    private static func label(_ value: Double, unit: String) -> String {
        if unit == "s" && value > 0 && value < 1 { return format(value * 1000, digits: 3) + " ms" }
        return format(value, digits: 3) + (unit.isEmpty ? "" : " " + unit)
    }

    private static func format(_ value: Double, digits: Int = 1) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
