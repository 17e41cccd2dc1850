import Foundation
import RAGQueue

/// What `--chaos` injects while traffic flows: a comma-separated list of faults, or a named preset.
///
/// Times are seconds from the start of traffic (`5`, `2.5`, `5s`):
/// - `kill-worker=P`: SIGKILL a random worker process every P seconds; a new one replaces it.
/// - `stop-worker=T[:L]`: at T, freeze a worker that holds jobs with SIGSTOP for L seconds
///   (default 3 x the heartbeat), then resume it with SIGCONT.
/// - `restart-valkey=T[:D]`: at T, SIGKILL Valkey (append-only file on) and restart it D seconds
///   later (default 1) on the same port.
/// - `valkey-down=T[:L]`: at T, freeze Valkey with SIGSTOP for L seconds (default 30), so that
///   connections hang rather than fail, probing the API meanwhile; then SIGCONT.
/// - `failover-valkey=T`: at T, SIGKILL the Sentinel group's primary (`--valkey sentinel`); the
///   sentinels promote a replica, and clients follow.
/// - `restart-api=T[:D]`: at T, SIGKILL the API process and restart it D seconds later (default 1).
/// - `backend-faults=P[:L]`: every P seconds, L seconds (default 3) of backend faults: 429 with
///   Retry-After, 500, 503, held-then-dropped requests and reset connections from the fakes.
public struct ChaosPlan: Sendable, Hashable, CustomStringConvertible {
    /// One kind of fault and its timing.
    enum Fault: Sendable, Hashable {
        case killWorker(every: Duration)
        case stopWorker(at: Duration, length: Duration?)
        case restartValkey(at: Duration, down: Duration)
        case valkeyDown(at: Duration, length: Duration)
        case failoverValkey(at: Duration)
        case restartAPI(at: Duration, down: Duration)
        case backendFaults(every: Duration, length: Duration)

        /// The plan item's name.
        var name: String {
            switch self {
            case .killWorker: "kill-worker"
            case .stopWorker: "stop-worker"
            case .restartValkey: "restart-valkey"
            case .valkeyDown: "valkey-down"
            case .failoverValkey: "failover-valkey"
            case .restartAPI: "restart-api"
            case .backendFaults: "backend-faults"
            }
        }
    }

    /// A plan's parse error: one line naming the item.
    public struct ParseError: Error, CustomStringConvertible {
        /// The message, naming the item.
        public let description: String
    }

    /// The faults, in the order given.
    let faults: [Fault]

    /// The presets: `standard` is the acceptance scenario (a worker killed every 5 s, one frozen
    /// beyond its lease, one Valkey restart); `full` adds an API restart and backend fault bursts.
    static let presets: [(name: String, plan: String)] = [
        ("standard", "kill-worker=5,stop-worker=20,restart-valkey=60"),
        ("full", "kill-worker=5,stop-worker=20,restart-valkey=60,restart-api=40,backend-faults=30:4"),
    ]

    /// Parses `text`: a preset's name or a list of items.
    public init(_ text: String) throws(ParseError) {
        let expanded = Self.presets.first { $0.name == text }?.plan ?? text
        var faults: [Fault] = []
        for item in expanded.split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingCharacters(in: .whitespaces)
            guard let equals = item.firstIndex(of: "=") else {
                throw ParseError(description: "chaos item '\(item)' needs the form name=seconds (presets: \(Self.presetNames))")
            }
            let name = String(item[..<equals])
            let values = item[item.index(after: equals)...].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard values.count <= 2 else { throw ParseError(description: "chaos item '\(item)' has more than two times") }
            let first = try Self.seconds(values[0], item: item)
            let second = try values.count == 2 ? Self.seconds(values[1], item: item) : nil
            let fault: Fault
            switch name {
            case "kill-worker":
                guard second == nil else { throw ParseError(description: "chaos item '\(item)': kill-worker takes one period") }
                fault = .killWorker(every: try Self.positive(first, item: item))
            case "stop-worker":
                var length: Duration?
                if let second { length = try Self.positive(second, item: item) }
                fault = .stopWorker(at: first, length: length)
            case "restart-valkey": fault = .restartValkey(at: first, down: second ?? .seconds(1))
            case "valkey-down": fault = .valkeyDown(at: first, length: try Self.positive(second ?? .seconds(30), item: item))
            case "failover-valkey":
                guard second == nil else { throw ParseError(description: "chaos item '\(item)': failover-valkey takes one time") }
                fault = .failoverValkey(at: first)
            case "restart-api": fault = .restartAPI(at: first, down: second ?? .seconds(1))
            case "backend-faults":
                fault = .backendFaults(every: try Self.positive(first, item: item), length: try Self.positive(second ?? .seconds(3), item: item))
            default:
                throw ParseError(description: "unknown chaos item '\(name)': use kill-worker, stop-worker, restart-valkey, valkey-down, failover-valkey, restart-api, "
                    + "backend-faults or a preset (\(Self.presetNames))")
            }
            faults.append(fault)
        }
        self.faults = faults
    }

    /// The one-shot faults at or after `length` (they would never happen), by name.
    public func outside(_ length: Duration) -> [String] {
        faults.compactMap { fault in
            switch fault {
            case .stopWorker(let at, _), .restartValkey(let at, _), .valkeyDown(let at, _), .restartAPI(let at, _), .failoverValkey(let at):
                at >= length ? fault.name : nil
            case .killWorker, .backendFaults: nil
            }
        }
    }

    /// Whether Valkey must be embedded (and keep an append-only file): restarted or frozen.
    public var restartsValkey: Bool {
        faults.contains { fault in
            switch fault {
            case .restartValkey, .valkeyDown: true
            default: false
            }
        }
    }
    /// Whether the Valkey must be an embedded Sentinel group: its primary is killed.
    public var failsOverValkey: Bool { faults.contains { if case .failoverValkey = $0 { true } else { false } } }
    /// Whether the API must be embedded.
    public var restartsAPI: Bool { faults.contains { if case .restartAPI = $0 { true } else { false } } }
    /// Whether the fakes must be embedded.
    public var injectsBackendFaults: Bool { faults.contains { if case .backendFaults = $0 { true } else { false } } }

    /// The plan as items, presets expanded: `kill-worker=5,stop-worker=20`.
    public var description: String {
        faults.map { fault in
            switch fault {
            case .killWorker(let every): "kill-worker=\(Self.text(every))"
            case .stopWorker(let at, let length): "stop-worker=\(Self.text(at))" + (length.map { ":\(Self.text($0))" } ?? "")
            case .restartValkey(let at, let down): "restart-valkey=\(Self.text(at)):\(Self.text(down))"
            case .valkeyDown(let at, let length): "valkey-down=\(Self.text(at)):\(Self.text(length))"
            case .failoverValkey(let at): "failover-valkey=\(Self.text(at))"
            case .restartAPI(let at, let down): "restart-api=\(Self.text(at)):\(Self.text(down))"
            case .backendFaults(let every, let length): "backend-faults=\(Self.text(every)):\(Self.text(length))"
            }
        }.joined(separator: ",")
    }

    private static var presetNames: String { presets.map(\.name).joined(separator: ", ") }

    private static func seconds(_ text: String, item: String) throws(ParseError) -> Duration {
        let number = text.hasSuffix("s") ? String(text.dropLast()) : text
        guard let value = Double(number), value.isFinite, value >= 0, value <= 86_400 else {
            throw ParseError(description: "chaos item '\(item)': '\(text)' is not a number of seconds from 0 to 86400")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    private static func positive(_ value: Duration, item: String) throws(ParseError) -> Duration {
        guard value > .zero else { throw ParseError(description: "chaos item '\(item)': a period or length must be above 0") }
        return value
    }

    private static func text(_ value: Duration) -> String {
        Simulation.number(value.seconds)
    }
}
