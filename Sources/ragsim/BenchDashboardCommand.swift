import ArgumentParser
import RAGSimulator

/// `ragsim bench-dashboard`: how fast the dashboard's pages answer with many jobs in the queue.
struct BenchDashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-dashboard",
        abstract: "Measure how fast the dashboard's pages answer with many jobs in the queue.",
        discussion: """
            Starts a private valkey-server and `ragserve api` (found next to ragsim) on free loopback ports, fills \
            the queue with --jobs waiting jobs (and a tenth as many finished, a hundredth failed, 50 running, \
            over five tenants), then requests each page of /ui/ --requests times, one at a time, and prints \
            the percentiles. Everything started is stopped at the end, on error and on Ctrl-C.
            """
    )

    @Option(help: "Jobs waiting in the queue.")
    var jobs = 10_000
    @Option(help: "Requests per page.")
    var requests = 200

    func validate() throws {
        guard (1...1_000_000).contains(jobs) else { throw ValidationError("--jobs must be 1 to 1000000") }
        guard (1...100_000).contains(requests) else { throw ValidationError("--requests must be 1 to 100000") }
    }

    func run() async throws {
        let options = DashboardBenchmark.Options(jobs: jobs, requests: requests)
        try await CommandSupport.reportingFailures(prefix: "ragsim bench-dashboard") { try await DashboardBenchmark(options: options).run() }
    }
}
