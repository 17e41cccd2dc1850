import Foundation
import RAGQueue
import RAGQueueTestSupport

/// One run of the API benchmark: the services, the notification delays, then the wrk rows.
struct APIBenchmarkRun: Sendable {
    /// The kinds of waiting client.
    enum Waiter: String, Sendable, CaseIterable {
        case longPoll = "long-poll"
        case events = "sse"
    }

    /// What wrk reported for one connection count.
    struct WrkRow: Sendable {
        var connections: Int
        var requestsPerSecond: Double
        /// Milliseconds at 50, 75, 90 and 99 %.
        var percentiles: [Int: Double]
        /// Answers other than 2xx/3xx, plus socket errors.
        var errors: Int
        /// wrk's lines that counted errors, as it printed them.
        var errorLines: [String] = []
    }

    /// The wrk executable.
    let wrk: String
    /// The `ragserve` executable.
    let ragserve: String
    /// Where the logs and the wrk script go.
    let workDirectory: URL
    /// Stops everything the run started.
    let reaper: ProcessReaper
    /// wrk connection counts, one row each.
    let connections: [Int]
    /// wrk threads.
    let threads: Int
    /// Seconds of wrk load per connection count.
    let duration: Int
    /// Jobs whose end a waiting client measures, per kind of client.
    let samples: Int
    /// Clients waiting at once while their jobs are completed.
    let waiters: Int
    /// Event streams held open on the API while wrk runs.
    let streams: Int

    /// Starts Valkey and the API, then measures and prints the notification delays and the wrk rows.
    func run() async throws {
        let (server, queue, http) = try await Self.privateQueue("bench-api", reaper: reaper)
        let (apiURL, apiPID) = try await startAPI(valkeyURL: server.url, prefix: queue.prefix, http: http)
        let store = try ValkeyJobStore(url: server.url, configuration: queue)
        reaper.add("valkey-client") { store.close() }

        let cores = ProcessInfo.processInfo.activeProcessorCount
        Console.line("ragserve api at \(apiURL), Valkey at \(server.url); wrk, the API, Valkey and this process share \(cores) cores")
        Console.line("")
        Console.line("end of a job to a waiting client's answer (\(samples) jobs per client, \(waiters) waiting at once)")
        Console.line("client       jobs   p50 ms   p90 ms   p99 ms   max ms")
        for waiter in Waiter.allCases {
            let delays = try await sample { try await measureRound(waiter, count: $0, apiURL: apiURL, store: store, http: http) }
            Console.line(Self.delayRow(waiter.rawValue, delays))
        }
        Console.line("from the job's ended_at (rounded to the millisecond, so each figure is within 0.5 ms) to the answer read")
        let firstTokens = try await sample { try await measureFirstTokens(count: $0, apiURL: apiURL, store: store, http: http) }
        Console.line(Self.delayRow("first token", firstTokens))
        Console.line("first token: from the worker's write of a model's first token (XADD and PUBLISH) to the SSE client's token event")

        var open: OpenStreams?
        if streams > 0 { open = try await openStreams(apiURL: apiURL, pid: apiPID, store: store) }
        defer { open?.close() }

        Console.line("")
        Console.line("POST /v1/queries under wrk (\(threads) threads, \(duration) s per row, keep-alive, one JSON body"
            + (streams > 0 ? ", \(streams) event streams open)" : ")"))
        Console.line("connections   requests/s   p50 ms   p90 ms   p99 ms   errors")
        let script = workDirectory.appendingPathComponent("post-query.lua").path
        try Self.postScript.write(toFile: script, atomically: true, encoding: .utf8)
        // Warm-up: connections, the scripts' SHA cache and the allocator, before anything is measured.
        _ = try await runWrk(script: script, url: apiURL + "/v1/queries", connections: connections[0], seconds: 2, name: "warmup")
        var errorLines: [String] = []
        for count in connections {
            let row = try await runWrk(script: script, url: apiURL + "/v1/queries", connections: count, seconds: duration, name: "c\(count)")
            let columns = [50, 90, 99].map { Self.format(row.percentiles[$0] ?? .nan) }
            Console.line(Self.pad(String(count), 11) + Self.pad(String(Int(row.requestsPerSecond.rounded())), 13)
                + columns.map { Self.pad($0, 9) }.joined() + Self.pad(String(row.errors), 9))
            errorLines += row.errorLines.map { "  \(count) connections, wrk: \($0)" }
        }
        for line in errorLines { Console.line(line) }
        let waiting = try await store.stats().waiting
        Console.line("errors: answers other than 2xx plus socket errors; \(waiting) queries were accepted and wait in the queue")
    }

    /// `samples` delays from rounds of at most `waiters` jobs (`round` gets the round's size), sorted.
    private func sample(_ round: (Int) async throws -> [Double]) async throws -> [Double] {
        var delays: [Double] = []
        while delays.count < samples {
            delays += try await round(min(waiters, samples - delays.count))
        }
        return delays.sorted()
    }

    /// One row of the delay table: the label and the count in 16 columns, then p50, p90, p99 and max.
    static func delayRow(_ label: String, _ sorted: [Double]) -> String {
        let columns = [0.5, 0.9, 0.99].map { format(percentile(sorted, $0)) } + [format(sorted.last ?? 0)]
        return label + pad(String(sorted.count), max(1, 16 - label.count)) + columns.map { pad($0, 9) }.joined()
    }

    /// A finished job's answer as a worker stores it, with `text` and no sources.
    static func answer(_ text: String) throws -> [UInt8] {
        Array(try JSONEncoder().encode(RAGAnswer(answer: text, sources: [], model: "bench", embeddingModel: "bench", collection: "bench")))
    }

    /// Opens `streams` event streams on 100 streamed queries that no worker runs (they stay open),
    /// and prints what they cost the API process and Valkey.
    private func openStreams(apiURL: String, pid: Int32?, store: ValkeyJobStore) async throws -> OpenStreams {
        guard let port = URLComponents(string: apiURL)?.port, let pid else {
            throw SimulationError("the API's port or pid is unknown")
        }
        var ids: [JobID] = []
        for number in 0..<100 {
            let query = RAGQuery(query: "streamed question \(number)", stream: true)
            ids.append(try await store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: query.json)).id)
        }
        let before = ProcessUsage.read(pid: pid)
        let clientsBefore = try await store.connectedClients()
        let started = ContinuousClock.now
        let open = try await OpenStreams.open(port: port, paths: (0..<streams).map { "/v1/queries/\(ids[$0 % ids.count])/events" })
        let opening = ContinuousClock.now - started
        try await Task.sleep(for: .seconds(1))  // let the API settle after the last one before reading its memory
        let after = ProcessUsage.read(pid: pid)
        let clientsAfter = try await store.connectedClients()
        Console.line("")
        Console.line("\(open.count) event streams opened in \(String(format: "%.1f", opening.seconds)) s and held open (100 streamed queries no worker runs)")
        if let before, let after {
            let perStream = Double(after.residentKB - before.residentKB) * 1024 / Double(max(open.count, 1))
            Console.line("  API process: resident \(before.residentKB / 1024) -> \(after.residentKB / 1024) MB (\(Int(perStream.rounded())) bytes per stream), "
                + "threads \(before.threads) -> \(after.threads)")
        }
        Console.line("  Valkey client connections: \(clientsBefore) -> \(clientsAfter)")
        return open
    }

    /// Starts `ragserve api --port 0` on the private Valkey; returns its root once `/healthz` answers.
    private func startAPI(valkeyURL: String, prefix: String, http: CurlHTTPClient) async throws -> (url: String, pid: Int32?) {
        // A clean environment: none of the caller's settings (keys, limits, body sizes) may change what is measured.
        let environment = [
            "VALKEY_URL": valkeyURL, "RAGQ_PREFIX": prefix, "RAGQ_MAX_DEPTH": "0",
            "API_RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "warning", "API_MAX_OPEN_WAITS_PER_KEY": String(max(streams, 100) + 100),
            "API_MAX_CONNECTIONS": String(max(16_384, streams + 1_000)),
        ]
        if streams > 0 { OpenStreams.raiseFileLimit() }
        return try await Self.startAPI(ragserve: ragserve, environment: environment, workDirectory: workDirectory, reaper: reaper, http: http)
    }

    /// A private valkey-server, a queue of its own on it (no depth limit) and an HTTP client, all
    /// stopped by `reaper`.
    static func privateQueue(
        _ name: String, reaper: ProcessReaper
    ) async throws -> (server: ValkeyServerProcess, queue: QueueConfiguration, http: CurlHTTPClient) {
        let server = try ValkeyServerProcess(executable: SimulationServices.locateValkeyServer())
        reaper.add("valkey-server") {
            await server.stop()
            server.cleanUp()
        }
        try await server.start()
        var queue = QueueConfiguration()
        queue.prefix = "\(name)-\(JobID().rawValue.prefix(8))"
        queue.maxDepth = 0
        let http = try CurlHTTPClient()
        reaper.add("http-client") { await http.shutdown() }
        return (server, queue, http)
    }

    /// Starts `ragserve api --port 0` with `environment` (and the caller's PATH, nothing else of
    /// its); returns its root and pid once `/healthz` answers.
    static func startAPI(
        ragserve: String, environment: [String: String], workDirectory: URL, reaper: ProcessReaper, http: CurlHTTPClient
    ) async throws -> (url: String, pid: Int32?) {
        let environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { given, _ in given }
        let output = workDirectory.appendingPathComponent("api.log").path
        let child = ChildProcess(executable: ragserve, arguments: ["api", "--host", "127.0.0.1", "--port", "0"])
        reaper.add("child:api", child: child, grace: .seconds(5))
        try child.start(outputPath: output, environment: environment)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, child.isRunning {
            let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("API_URL=") }) {
                let url = String(line.dropFirst("API_URL=".count))
                try await SimulationServices.checkHealth(url, httpClient: http)
                return (url, child.pid)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SimulationError("ragserve api did not start (log in \(output))")
    }

    /// Enqueues `count` jobs, has one client of `waiter`'s kind wait for each, completes them
    /// through the queue, and returns each delay from the job's `ended_at` to its client's answer.
    private func measureRound(_ waiter: Waiter, count: Int, apiURL: String, store: ValkeyJobStore, http: CurlHTTPClient) async throws -> [Double] {
        let payload = RAGQuery(query: "How soon does a waiting client hear?").json
        var ids: [JobID] = []
        for _ in 0..<count {
            ids.append(try await store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: payload)).id)
        }
        let answer = try Self.answer("soon")
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        return try await withThrowingTaskGroup(of: (JobID, Double).self) { group in
            for id in ids {
                group.addTask {
                    do {
                        return (id, try await Self.answer(waiter, for: id, apiURL: apiURL, http: http) { readyContinuation.yield() })
                    } catch {
                        readyContinuation.yield()  // Not ready, but the round must not wait for it.
                        throw error
                    }
                }
            }
            var waiting = 0
            for await _ in ready {
                waiting += 1
                if waiting == count { break }
            }
            // A long poll says nothing before its answer: give the requests time to reach their wait.
            if waiter == .longPoll { try await Task.sleep(for: .milliseconds(100)) }
            let claimed = try await store.claim(workerID: "bench-api", count: count).jobs
            guard claimed.count == count else { throw SimulationError("claimed \(claimed.count) of \(count) jobs") }
            for job in claimed {
                try await store.complete(job.lease, result: answer, timings: [:])
            }
            var delays: [Double] = []
            for try await (id, answeredAt) in group {
                guard let ended = try await store.job(id)?.endedAt else { throw SimulationError("job \(id) has no ended_at") }
                delays.append(answeredAt - ended.timeIntervalSince1970 * 1000)
            }
            return delays
        }
    }

    /// Streamed jobs, claimed as a worker would, each with an SSE client; once every client is
    /// subscribed, writes each job's first token as a worker's `TokenSink` does and returns the
    /// milliseconds (one monotonic clock) from the write to the client's `token` event.
    private func measureFirstTokens(count: Int, apiURL: String, store: ValkeyJobStore, http: CurlHTTPClient) async throws -> [Double] {
        let payload = RAGQuery(query: "How soon does the first token arrive?", stream: true).json
        for _ in 0..<count {
            _ = try await store.enqueue(EnqueueRequest(kind: RAGQuery.kind, payload: payload))
        }
        let claimed = try await store.claim(workerID: "bench-api", count: count).jobs
        guard claimed.count == count else { throw SimulationError("claimed \(claimed.count) of \(count) jobs") }
        let clock = ContinuousClock()
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        var written: [JobID: ContinuousClock.Instant] = [:]
        let arrivals = try await withThrowingTaskGroup(of: (JobID, ContinuousClock.Instant).self) { group in
            for job in claimed {
                group.addTask {
                    let response = try await http.stream(HTTPClientRequest(url: "\(apiURL)/v1/queries/\(job.id)/events", timeout: .seconds(40)))
                    guard response.status == 200 else {
                        readyContinuation.yield()
                        throw SimulationError("event stream of \(job.id) answered \(response.status)")
                    }
                    var parser = ServerSentEventParser()
                    var first = true
                    for try await chunk in response.body {
                        for event in parser.feed(chunk) {
                            if first { readyContinuation.yield(); first = false }
                            if event.event == "token" { return (job.id, clock.now) }
                        }
                    }
                    throw SimulationError("event stream of \(job.id) closed without a token")
                }
            }
            var subscribed = 0
            for await _ in ready {
                subscribed += 1
                if subscribed == count { break }
            }
            for job in claimed {
                written[job.id] = clock.now
                try await store.appendTokens([.attempt(1), .text("first")], to: job.id)
            }
            return try await group.reduce(into: [(JobID, ContinuousClock.Instant)]()) { $0.append($1) }
        }
        let delays = try arrivals.map { id, arrived in
            guard let sent = written[id] else { throw SimulationError("a token of \(id) arrived before it was written") }
            return (arrived - sent).seconds * 1000
        }
        let answer = try Self.answer("first")
        for job in claimed {
            try await store.appendTokens([.end(finishReason: "stop")], to: job.id)
            try await store.complete(job.lease, result: answer, timings: [:])
        }
        return delays
    }

    /// Waits for job `id` the way `waiter` does; calls `ready` once the wait is under way (for
    /// events: once the first event arrived, after the server subscribed), and returns the
    /// wall-clock milliseconds at which the answer was read.
    private static func answer(
        _ waiter: Waiter, for id: JobID, apiURL: String, http: CurlHTTPClient, ready: @Sendable () -> Void
    ) async throws -> Double {
        switch waiter {
        case .longPoll:
            ready()
            let response = try await http.execute(HTTPClientRequest(url: "\(apiURL)/v1/queries/\(id)?wait=30", timeout: .seconds(40)))
            let answeredAt = Date().timeIntervalSince1970 * 1000
            guard response.status == 200, String(decoding: response.body, as: UTF8.self).contains(#""status":"finished""#) else {
                throw SimulationError("long poll of \(id) answered \(response.status) without the finished query")
            }
            return answeredAt
        case .events:
            let response = try await http.stream(HTTPClientRequest(url: "\(apiURL)/v1/queries/\(id)/events", timeout: .seconds(40)))
            guard response.status == 200 else { throw SimulationError("event stream of \(id) answered \(response.status)") }
            var parser = ServerSentEventParser()
            var first = true
            for try await chunk in response.body {
                for event in parser.feed(chunk) {
                    if first { ready(); first = false }
                    if event.event == "end" { return Date().timeIntervalSince1970 * 1000 }
                }
            }
            throw SimulationError("event stream of \(id) closed without an end event")
        }
    }

    /// Runs wrk once and parses its report.
    private func runWrk(script: String, url: String, connections: Int, seconds: Int, name: String) async throws -> WrkRow {
        let output = workDirectory.appendingPathComponent("wrk-\(name).log").path
        let child = ChildProcess(executable: wrk, arguments: [
            "-t", String(min(threads, connections)), "-c", String(connections), "-d", "\(seconds)s", "--latency", "-s", script, url,
        ])
        let token = reaper.add("child:wrk", child: child, grace: .seconds(2))
        try child.start(outputPath: output)
        let status = await child.waitForExit()
        await reaper.stop([token])
        let report = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0, let row = Self.parseWrk(report, connections: connections) else {
            throw SimulationError("wrk exited with \(status) and no report it could read (see \(output))")
        }
        return row
    }

    /// The figures of wrk's `--latency` report; nil without a `Requests/sec` line.
    static func parseWrk(_ report: String, connections: Int) -> WrkRow? {
        var row = WrkRow(connections: connections, requestsPerSecond: .nan, percentiles: [:], errors: 0)
        for line in report.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ")
            if words.count == 2, words[0].hasSuffix("%"), let percent = Int(words[0].dropLast()) {
                // The --latency distribution: "  99%    3.20ms".
                row.percentiles[percent] = milliseconds(words[1])
            } else if words.first == "Requests/sec:", words.count == 2, let rate = Double(words[1]) {
                row.requestsPerSecond = rate
            } else if line.contains("Non-2xx or 3xx responses:"), let count = words.last.flatMap({ Int($0) }) {
                row.errors += count
                row.errorLines.append(line.trimmingCharacters(in: .whitespaces))
            } else if line.contains("Socket errors:") {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                row.errors += words.compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
                row.errorLines.append(line.trimmingCharacters(in: .whitespaces))
            }
        }
        return row.requestsPerSecond.isNaN ? nil : row
    }

    /// A wrk duration (`541.00us`, `1.23ms`, `2.01s`, `1.50m`) in milliseconds; nil otherwise.
    static func milliseconds(_ text: Substring) -> Double? {
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0), ("h", 3_600_000.0)] where text.hasSuffix(unit) {
            guard let value = Double(text.dropLast(unit.count)) else { return nil }
            return value * scale
        }
        return nil
    }

    /// The nearest-rank percentile `p` (0...1) of `sorted`; 0 when empty.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((Double(sorted.count) * p).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    /// Milliseconds with two decimals below 10, one above; `-` for none.
    static func format(_ milliseconds: Double) -> String {
        milliseconds.isNaN ? "-" : String(format: milliseconds < 10 ? "%.2f" : "%.1f", milliseconds)
    }

    /// `text` right-aligned in `width` columns.
    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// The wrk script: every request posts the same query as JSON.
    static let postScript = """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.body = '{"query":"What does the lease protect?","top_k":4}'
        """
}
