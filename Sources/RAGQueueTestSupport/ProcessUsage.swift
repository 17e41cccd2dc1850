import Foundation

/// What a process uses at one moment, read from `/proc/<pid>` (Linux): CPU time so far, resident
/// memory now and at its peak, threads, and open sockets. Benchmarks subtract two readings.
public struct ProcessUsage: Sendable {
    /// User plus system CPU time since the process started, in seconds.
    public var cpuSeconds: Double
    /// Resident set size (`VmRSS`), in KiB.
    public var residentKB: Int
    /// The highest resident set size so far (`VmHWM`), in KiB.
    public var peakResidentKB: Int
    /// Threads (`Threads`).
    public var threads: Int
    /// Open file descriptors that are sockets.
    public var sockets: Int

    /// The usage of process `pid`; nil when it is gone or `/proc` cannot be read.
    public static func read(pid: Int32) -> ProcessUsage? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return nil }
        var fields: [Substring: Int] = [:]
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            if parts.count >= 2, ["VmRSS", "VmHWM", "Threads"].contains(parts[0]) { fields[parts[0]] = Int(parts[1]) }
        }
        // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
        // After it come state (3) ... utime (14) and stime (15), in clock ticks.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        guard rest.count > 12, let user = Double(rest[11]), let system = Double(rest[12]),
            let resident = fields["VmRSS"], let threads = fields["Threads"]
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessUsage(
            cpuSeconds: (user + system) / max(ticks, 1), residentKB: resident, peakResidentKB: fields["VmHWM"] ?? resident,
            threads: threads, sockets: socketCount(pid: pid)
        )
    }

    /// The descriptors in `/proc/<pid>/fd` that link to `socket:[...]`.
    static func socketCount(pid: Int32) -> Int {
        let directory = "/proc/\(pid)/fd"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        return names.reduce(0) { count, name in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")) ?? ""
            return count + (target.hasPrefix("socket:") ? 1 : 0)
        }
    }
}
