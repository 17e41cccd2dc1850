import Foundation
import UnixSignals

/// `POST /v1/queries` under wrk, and the delay from a job's end to the answer of a client waiting
/// for it (long-poll and Server-Sent Events), against a `ragserve api` child on a private Valkey.
public struct APIBenchmark: Sendable {
    /// What to measure.
    public struct Options: Sendable {
        /// wrk connection counts, one row each, each positive.
        var connections: [Int]
        /// wrk threads.
        var threads: Int
        /// wrk load per connection count, in whole seconds.
        var duration: Duration
        /// Jobs whose end a waiting client measures, per kind of client.
        var samples: Int
        /// Clients waiting at once while their jobs are completed.
        var waiters: Int
        /// The wrk executable, a path or a name on PATH; nil: `wrk` on PATH.
        var wrk: String?
        /// Event streams held open on the API while wrk runs; 0: none.
        var streams: Int = 0

        /// Options with every value given.
        public init(connections: [Int], threads: Int, duration: Duration, samples: Int, waiters: Int, wrk: String?, streams: Int = 0) {
            self.connections = connections
            self.threads = threads
            self.duration = duration
            self.samples = samples
            self.waiters = waiters
            self.wrk = wrk
            self.streams = streams
        }
    }

    let options: Options

    /// A benchmark configured by `options`.
    public init(options: Options) {
        self.options = options
    }

    /// Finds wrk and `ragserve`, runs the benchmark and prints its tables. Everything started is
    /// stopped at the end, on error and on SIGINT or SIGTERM; those end in a `RunFailure`.
    public func run() async throws {
        guard let wrkPath = Self.locate(options.wrk ?? "wrk") else {
            throw RunFailure("wrk not found\(options.wrk.map { " at \($0)" } ?? " on PATH"); install it (make deps, or apt-get install wrk)")
        }
        try await Self.running("bench-api") { ragserve, workDirectory, reaper in
            try await APIBenchmarkRun(
                wrk: wrkPath, ragserve: ragserve, workDirectory: workDirectory, reaper: reaper, connections: options.connections,
                threads: options.threads, duration: Int(options.duration.components.seconds), samples: options.samples, waiters: options.waiters,
                streams: options.streams
            ).run()
        }
    }

    /// Runs a benchmark of `ragserve` (found next to ragsim) in a fresh work directory: `body` gets
    /// them and the reaper that stops, at the end, on error and on SIGINT or SIGTERM, everything
    /// it started; failures and interruptions end in a `RunFailure` that names the logs.
    static func running(
        _ name: String, _ body: @escaping @Sendable (_ ragserve: String, _ workDirectory: URL, _ reaper: ProcessReaper) async throws -> Void
    ) async throws {
        let ragserve: String
        do {
            ragserve = try Simulation.locateRagserve()
        } catch {
            throw RunFailure("\(error)")
        }
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("ragsim-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let reaper = ProcessReaper()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let work = Task { try await body(ragserve, workDirectory, reaper) }
        let watcher = Task {
            for await _ in signals { work.cancel(); return }
        }
        let result = await work.result
        watcher.cancel()
        await reaper.stopAll()
        do {
            try result.get()
            try? FileManager.default.removeItem(at: workDirectory)
        } catch {
            throw RunFailure(work.isCancelled ? "interrupted; stopped everything it started" : "\(error) (logs in \(workDirectory.path))")
        }
    }

    /// `name` when it is a path to an executable, else the first executable of that name on PATH.
    static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
