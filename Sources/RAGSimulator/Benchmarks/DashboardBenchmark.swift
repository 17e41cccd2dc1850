import Foundation
import RAGQueue
import RAGQueueTestSupport

/// `ragsim bench-dashboard`: how fast the dashboard's pages answer with many jobs in the queue,
/// against a `ragserve api` child on a private Valkey.
public struct DashboardBenchmark: Sendable {
    /// What to measure.
    public struct Options: Sendable {
        /// Jobs left waiting in the queue; a tenth as many again finish, a hundredth fail, 50 run.
        var jobs: Int
        /// Requests per page, one at a time.
        var requests: Int

        public init(jobs: Int, requests: Int) {
            self.jobs = jobs
            self.requests = requests
        }
    }

    let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// Fills the queue, then times each page's requests and prints a table.
    public func run() async throws {
        let options = options
        try await APIBenchmark.running("bench-dashboard") { ragserve, workDirectory, reaper in
            let (server, queue, http) = try await APIBenchmarkRun.privateQueue("bench-dashboard", reaper: reaper)
            let environment = ["VALKEY_URL": server.url, "RAGQ_PREFIX": queue.prefix, "RAGQ_MAX_DEPTH": "0", "API_RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "warning"]
            let (apiURL, _) = try await APIBenchmarkRun.startAPI(
                ragserve: ragserve, environment: environment, workDirectory: workDirectory, reaper: reaper, http: http
            )
            let store = try ValkeyJobStore(url: server.url, configuration: queue)
            reaper.add("valkey-client") { store.close() }

            let started = ContinuousClock.now
            let (finished, rare) = try await Self.fill(store, waiting: options.jobs)
            let stats = try await store.stats()
            Console.line("ragserve api at \(apiURL) (no keys: the dashboard is open); the queue holds \(stats.waiting) waiting, "
                + "\(stats.active) running, \(stats.counters["finished"] ?? 0) finished and \(stats.failed) failed jobs "
                + "(filled in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s)")
            Console.line("")
            Console.line("page                                requests   p50 ms   p90 ms   p99 ms   max ms   KB")
            let pages = [
                ("/ui/ (dashboard)", "/ui/"), ("/ui/overview (its 2 s refresh)", "/ui/overview"), ("/ui/jobs (newest 50)", "/ui/jobs"),
                ("/ui/jobs?status=failed", "/ui/jobs?status=failed"), ("/ui/jobs?tenant=tenant-3", "/ui/jobs?tenant=tenant-3"),
                ("/ui/jobs?text=… (only the oldest)", "/ui/jobs?text=\(rare)"), ("/ui/jobs/{id} (answer, 4 sources)", "/ui/jobs/\(finished)"),
                ("/ui/ask", "/ui/ask"),
            ]
            for (name, path) in pages {
                var times: [Double] = []
                var bytes = 0
                for _ in 0..<(options.requests + 5) {
                    let start = ContinuousClock.now
                    let response = try await http.execute(HTTPClientRequest(url: apiURL + path, timeout: .seconds(30)))
                    let elapsed = (ContinuousClock.now - start).seconds * 1000
                    guard response.status == 200 else { throw SimulationError("\(path) answered \(response.status)") }
                    times.append(elapsed)
                    bytes = response.body.count
                }
                // The first five warm the connection and the scripts' cache; they are not counted.
                let sorted = times.dropFirst(5).sorted()
                let columns = [0.5, 0.9, 0.99].map { APIBenchmarkRun.format(APIBenchmarkRun.percentile(sorted, $0)) }
                    + [APIBenchmarkRun.format(sorted.last ?? .nan)]
                Console.line(name.padding(toLength: 34, withPad: " ", startingAt: 0) + APIBenchmarkRun.pad(String(sorted.count), 10)
                    + columns.map { APIBenchmarkRun.pad($0, 9) }.joined() + APIBenchmarkRun.pad(String(bytes / 1024), 5))
            }
            Console.line("one request at a time from this process over keep-alive, timed from send to the whole body read")
        }
    }

    /// Enqueues `waiting` jobs that stay waiting, and a tenth as many that finish with an answer
    /// and four sources, a hundredth that fail, 50 that run; five tenants. Returns a finished
    /// job's id and a word only the oldest job's question holds.
    static func fill(_ store: ValkeyJobStore, waiting: Int) async throws -> (finished: JobID, rare: String) {
        let rare = "zanzibar"
        let answer = Array(try JSONEncoder().encode(RAGAnswer(
            answer: String(repeating: "The lease protects a running job; when its worker dies, another worker takes it. ", count: 6),
            sources: (1...4).map {
                RAGAnswer.Source(
                    id: "doc-\($0)", score: 0.9 - Float($0) / 20, page: $0, pageLabel: nil, source: "guide.pdf",
                    excerpt: String(repeating: "An excerpt of the guide. ", count: 12)
                )
            },
            model: "bench", embeddingModel: "bench", collection: "docs"
        )))
        func enqueue(_ number: Int) async throws -> JobID {
            let question = number == 0 ? "Which island is \(rare)?" : "Question \(number): how do leases keep a job alive when a worker dies?"
            return try await store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: RAGQuery(query: question).json, tenant: "tenant-\(number % 5)")).id
        }
        let ended = waiting / 10 + waiting / 100 + 50
        var finished: JobID?
        for number in 0..<ended { _ = try await enqueue(number + 1) }
        let claimed = try await store.claim(workerID: "bench", count: ended).jobs
        for (index, job) in claimed.enumerated() {
            if index < waiting / 10 {
                try await store.complete(job.lease, result: answer, timings: ["embed": 0.12, "search": 0.02, "chat": 0.9], usage: [JobUsage.tokens: 420])
                finished = job.id
            } else if index < waiting / 10 + waiting / 100 {
                let failure = JobFailure(code: index % 2 == 0 ? "backend_error" : "collection_not_found", message: "benchmark failure", transient: false)
                _ = try await store.fail(job.lease, failure: failure, retryAtMilliseconds: 0, timings: [:])
            }
        }
        // The oldest waiting job holds the rare word: a text filter for it walks the whole index.
        _ = try await enqueue(0)
        for number in 1..<max(1, waiting) { _ = try await enqueue(ended + number) }
        guard let finished else { throw SimulationError("no job finished while filling the queue") }
        return (finished, rare)
    }
}
