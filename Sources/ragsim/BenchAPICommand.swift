import ArgumentParser
import RAGSimulator

/// `ragsim bench-api`: `POST /v1/queries` under wrk, and the delay from a job's end to the answer
/// of a client waiting for it (long-poll and Server-Sent Events), against a `ragserve api` child.
struct BenchAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-api",
        abstract: "Measure POST /v1/queries under wrk, and how soon a waiting client learns that its job ended.",
        discussion: """
            Starts a private valkey-server and `ragserve api` (found next to ragsim) on free loopback ports. \
            First, jobs are completed directly through the queue while clients wait for them with \
            GET /v1/queries/{id}?wait=30 or GET /v1/queries/{id}/events; each delay runs from the job's ended_at \
            (stamped with millisecond resolution) to the moment the client has the answer. Then wrk posts \
            queries for --duration seconds per connection count, with --latency for percentiles. \
            Everything started is stopped at the end, on error and on Ctrl-C.
            """
    )

    @Option(help: "wrk connection counts to measure, comma separated.")
    var connections = "16,64"
    @Option(help: "wrk threads.")
    var threads = 2
    @Option(help: "Seconds of wrk load per connection count.")
    var duration = 10
    @Option(help: "Jobs whose end a waiting client measures, per kind of client.")
    var samples = 400
    @Option(help: "Clients waiting at once while their jobs are completed.")
    var waiters = 8
    @Option(help: "The wrk executable (default: wrk on PATH).")
    var wrk: String?
    @Option(help: "Event streams to hold open on the API while wrk runs (0: none); prints what they cost.")
    var streams = 0

    func validate() throws {
        _ = try BenchQueueCommand.parseList(connections, name: "--connections")
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be from 1 to 64") }
        guard (1...3600).contains(duration) else { throw ValidationError("--duration must be 1 to 3600 seconds") }
        guard (1...100_000).contains(samples), (1...1000).contains(waiters) else {
            throw ValidationError("--samples must be 1 to 100000 and --waiters 1 to 1000")
        }
        guard (0...50_000).contains(streams) else { throw ValidationError("--streams must be 0 to 50000") }
    }

    func run() async throws {
        let options = APIBenchmark.Options(
            connections: try BenchQueueCommand.parseList(connections, name: "--connections"), threads: threads,
            duration: .seconds(duration), samples: samples, waiters: waiters, wrk: wrk, streams: streams
        )
        try await CommandSupport.reportingFailures(prefix: "ragsim bench-api") { try await APIBenchmark(options: options).run() }
    }
}
