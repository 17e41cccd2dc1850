import Foundation
import RAGQueue
import Testing
@testable import RAGSimulator

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("ragsim SVG chart")
struct SimulationChartTests {
    /// Every element of a document, in order, with its attributes; nil when the XML is not well-formed.
    final class Elements: NSObject, XMLParserDelegate {
        var all: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []

        static func parse(_ svg: String) -> Elements? {
            let parser = XMLParser(data: Data(svg.utf8))
            let elements = Elements()
            parser.delegate = elements
            return parser.parse() ? elements : nil
        }

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]
        ) {
            all.append((name, attributes))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            texts.append(string)
        }

        func named(_ name: String, class className: String) -> [[String: String]] {
            all.filter { $0.name == name && $0.attributes["class"] == className }.map(\.attributes)
        }

        func number(_ attributes: [String: String], _ key: String) -> Double {
            attributes[key].flatMap(Double.init) ?? .nan
        }
    }

    static func report(_ figures: [(workers: Int, done: Double, offered: Double, ceiling: Double, p95: Double?)], profile: String = "zero")
        -> SimulationReport
    {
        var scenario = BaselineCheckTests.scenario
        scenario.profile = profile
        var report = BaselineCheckTests.report(figures.map { ($0.workers, $0.done, 1) }, scenario: scenario)
        for (index, figure) in figures.enumerated() {
            report.steps[index].offeredPerSecond = figure.offered
            report.steps[index].ceilingPerSecond = figure.ceiling
            report.steps[index].latency.p95 = figure.p95
        }
        return report
    }

    static let sample = report([
        (1, 4.5, 20.2, 4.9, nil), (2, 9.2, 16.7, 9.6, 9.5), (3, 14.7, 20.4, 14.8, 9.8), (4, 19.5, 19.9, 19.5, 3.5),
    ])

    @Test("the chart is well-formed SVG with a title, the scenario, both axes' labels and a legend")
    func wellFormed() throws {
        let svg = SimulationChart(report: Self.sample).render()
        let elements = try #require(Elements.parse(svg))
        #expect(elements.all.first?.name == "svg")
        let text = elements.texts.joined(separator: "|")
        for expected in [
            SimulationChart.title, "workers 1,2 x concurrency 8, 20 qps poisson", "jobs per second", "p95 latency (s)",
            "worker processes (x 8 jobs each)", "completed/s", "offered/s", "ceiling/s",
        ] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        #expect(elements.named("rect", class: "plot").map { $0["data-panel"] } == ["throughput", "latency"])
    }

    @Test("a file that is not a report fails in one line saying what is wrong", arguments: [
        ("{}", "is missing"), ("not json", "not JSON"), ("[]", "the top level is not"),
    ])
    func badReport(content: String, says: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).json").path
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try SimulationChart.draw(reportAt: path, to: path + ".svg")
            Issue.record("drew a chart of \(content)")
        } catch {
            #expect(error.description.hasPrefix("\(path) is not a ragsim --json report: "), "\(error.description)")
            #expect(error.description.contains(says) && !error.description.contains("\n"), "\(error.description)")
        }
    }

    @Test("special characters in the scenario are escaped")
    func escaped() throws {
        let svg = SimulationChart(report: Self.report([(1, 1, 1, 1, 1)], profile: #"a<b & "c""#)).render()
        let elements = try #require(Elements.parse(svg))
        #expect(elements.texts.joined().contains(#"profile a<b & "c""#))
    }

    @Test("one point per step and series, at its worker count, left to right")
    func onePointPerStep() throws {
        let elements = try #require(Elements.parse(SimulationChart(report: Self.sample).render()))
        for series in ["completed", "offered", "ceiling"] {
            let points = elements.named("circle", class: series)
            #expect(points.map { $0["data-workers"] } == ["1", "2", "3", "4"], "\(series)")
            let xs = points.map { elements.number($0, "cx") }
            #expect(zip(xs, xs.dropFirst()).allSatisfy { $0 < $1 })
        }
        // A p95 among unfinished jobs is marked beyond the drain, not drawn as a value.
        #expect(elements.named("circle", class: "p95").map { $0["data-workers"] } == ["2", "3", "4"])
        #expect(elements.named("path", class: "p95-beyond-drain").map { $0["data-workers"] } == ["1"])
    }

    @Test("heights are proportional to the values, inside the plot area")
    func scaling() throws {
        let elements = try #require(Elements.parse(SimulationChart(report: Self.sample).render()))
        for (panel, classes) in [("throughput", ["completed", "offered", "ceiling"]), ("latency", ["p95"])] {
            let plot = try #require(elements.named("rect", class: "plot").first { $0["data-panel"] == panel })
            let top = elements.number(plot, "y")
            let bottom = top + elements.number(plot, "height")
            let points = classes.flatMap { elements.named("circle", class: $0) }
            let perUnit = points.map { (bottom - elements.number($0, "cy")) / elements.number($0, "data-value") }
            #expect(!perUnit.isEmpty)
            #expect(perUnit.allSatisfy { abs($0 - perUnit[0]) < 0.05 }, "\(panel): \(perUnit)")
            let ys = points.map { elements.number($0, "cy") }
            #expect(ys.allSatisfy { $0 >= top && $0 <= bottom })
            // The axis is not much taller than the largest value: the tallest point is in the top third.
            #expect(ys.min()! < top + (bottom - top) / 3)
        }
        let done = elements.named("circle", class: "completed").map { elements.number($0, "data-value") }
        #expect(done == [4.5, 9.2, 14.7, 19.5])
    }

    @Test("axes run from 0 to a round number above the largest value", arguments: [
        (4.5, 5.0), (9.2, 10.0), (20.2, 25.0), (0.37, 0.4), (130.0, 150.0), (0.0, 1.0),
    ])
    func axis(value: Double, maximum: Double) {
        let axis = SimulationChart.Axis(upTo: value)
        #expect(abs(axis.maximum - maximum) < 1e-9)
        #expect(axis.ticks.first == 0)
        #expect((4...7).contains(axis.ticks.count))
    }

    @Test("a single step is drawn in the middle")
    func singleStep() throws {
        let elements = try #require(Elements.parse(SimulationChart(report: Self.report([(2, 5, 5, 5, 1)])).render()))
        let point = try #require(elements.named("circle", class: "completed").first)
        #expect(elements.number(point, "cx") == (SimulationChart.left + SimulationChart.right) / 2)
    }

    @Test("a run with tenants adds one bar per tenant at the largest step, as long as its done/s; one without has none")
    func tenantBars() throws {
        typealias Timeline = StepResultTests.Timeline
        // a finishes 6 jobs in the window, b 2.
        let submissions = try [("a", 6), ("b", 2)].flatMap { tenant, finished in
            try (0..<finished).map { index in
                var job = try Timeline.job(.finished, created: 3 + Double(index), started: 3.5 + Double(index), ended: 4 + Double(index))
                job.tenant = tenant
                return job
            }
        }
        let step = StepResult(
            workers: 4, concurrency: 8, submissions: submissions, windowStart: Timeline.windowStart, windowEnd: Timeline.windowEnd,
            cutoff: Timeline.cutoff, tenants: [try TenantSpec(parsing: "a:weight=3"), try TenantSpec(parsing: "b")]
        )
        var report = Self.sample
        report.steps[3].tenants = step.tenants
        let chart = SimulationChart(report: report)
        let elements = try #require(Elements.parse(chart.render()))
        let bars = elements.named("rect", class: "tenant")
        #expect(bars.map { $0["data-tenant"] } == ["a", "b"])
        #expect(bars.map { elements.number($0, "data-value") } == [0.6, 0.2])
        let widths = bars.map { elements.number($0, "width") }
        #expect(abs(widths[0] / widths[1] - 3) < 0.01)
        #expect(elements.texts.joined().contains("By tenant at 4 worker(s)"))
        // The canvas grows to hold the bars; every bar lies inside it.
        let height = elements.number(try #require(elements.all.first?.attributes), "height")
        #expect(height > SimulationChart.height)
        #expect(bars.allSatisfy { elements.number($0, "y") + elements.number($0, "height") <= height })

        let plain = try #require(Elements.parse(SimulationChart(report: Self.sample).render()))
        #expect(plain.named("rect", class: "tenant").isEmpty)
        #expect(plain.number(try #require(plain.all.first?.attributes), "height") == SimulationChart.height)
    }
}
