import ArgumentParser
import Foundation
import RAGQueue

/// `ragserve export-trace --since 2h`: the queries the queue accepted in a time range, as a trace
/// that `ragsim --trace` replays against another configuration.
struct ExportTraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-trace",
        abstract: "Write the queries the queue accepted in a time range as a ragsim trace (JSON lines).",
        discussion: "Reads the job records the queue still keeps: finished jobs for JOB_RESULT_TTL_SECONDS (a day by "
            + "default), failed ones for JOB_FAILURE_TTL_SECONDS. Each line holds the query's offset in seconds from "
            + "--since, its question, collection, top_k, stream, tenant and priority; filters and callback URLs are "
            + "left out. Replay it with `ragsim --trace FILE` (and a --tenant for each tenant it names)."
    )

    @Option(help: "Start of the range: an ISO 8601 time (2026-12-01T09:00:00Z) or an age (90s, 30m, 2h, 1d).")
    var since: String
    @Option(help: "End of the range, excluded, in the same forms (default: now).")
    var until: String?
    @Option(help: "Write the trace to this file (default: standard output).")
    var output: String?

    func validate() throws {
        let now = Date()
        guard let start = TimeArgument.date(since, now: now) else { throw ValidationError(TimeArgument.usage("--since", since)) }
        if let until {
            guard let end = TimeArgument.date(until, now: now) else { throw ValidationError(TimeArgument.usage("--until", until)) }
            guard end > start else { throw ValidationError("--until must be later than --since") }
        }
    }

    func run() async throws {
        let now = Date()
        guard let start = TimeArgument.date(since, now: now) else { throw ValidationError(TimeArgument.usage("--since", since)) }
        let end = until.flatMap { TimeArgument.date($0, now: now) } ?? now
        let configuration = try CommandSupport.configuration()
        let lines: [String]
        do {
            let store = try CommandSupport.queueStore(configuration)
            defer { store.close() }
            lines = QueryTraceExport.lines(of: try await store.jobs(createdFrom: start, until: end), since: start)
        } catch {
            throw CommandSupport.fail(error)
        }
        let text = lines.map { $0 + "\n" }.joined()
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                throw CommandSupport.fail(CommandFailure("cannot write \(output): \(error.localizedDescription)"))
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let formatter = ISO8601DateFormatter()
        FileHandle.standardError.write(Data(
            ("exported \(lines.count) queries created from \(formatter.string(from: start)) to \(formatter.string(from: end))"
                + (output.map { " to \($0)" } ?? "") + "\n").utf8
        ))
    }
}

/// A time on the command line: ISO 8601, or an age before now.
enum TimeArgument {
    /// `text` as a date: `2026-12-01T09:00:00Z` (fractional seconds allowed), or `90s`, `30m`, `2h`, `1d` before `now`.
    static func date(_ text: String, now: Date) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0, amount.isFinite {
            return now.addingTimeInterval(-amount * unit)
        }
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions.insert(.withFractionalSeconds)
        return plain.date(from: text) ?? fractional.date(from: text)
    }

    static func usage(_ flag: String, _ text: String) -> String {
        "\(flag) must be an ISO 8601 time such as 2026-12-01T09:00:00Z or an age such as 30m, 2h or 1d, got '\(text)'"
    }
}
