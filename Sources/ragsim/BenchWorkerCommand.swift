import ArgumentParser
import RAGSimulator

/// `ragsim bench-worker`: RAG jobs through the real api and one worker against the fakes at a
/// fixed backend time: CPU per job, the highest rate kept up with, the per-request floor of the
/// HTTP parts, memory per job in flight.
struct BenchWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-worker",
        abstract: "Measure CPU and memory per RAG job, and the highest rate one box keeps up with.",
        discussion: """
            Starts a private valkey-server, the fakes (embeddings 100 ms, Qdrant 20 ms, chat 430 ms, fixed), \
            `ragserve api` and one `ragserve worker` (found next to ragsim). For each offered rate, clients post \
            distinct questions and long-poll each until it ends; the rows give p50 and p99 from the POST to the \
            answer, the CPU time per job of the worker, the api, Valkey and ragsim itself (the clients and the \
            fakes; from /proc), and Valkey's commands and calls per job. Then the floor beneath those figures: \
            GET requests alone at twice the first rate (a submit and a long-poll a job) to the api's /healthz \
            and to a bare Hummingbird server (`ragsim fakes`), with the CPU per request of each server and of \
            this process's libcurl client, and of the pacing alone. Then a fresh worker against \
            a model that holds every answer for --hold seconds: its resident memory and sockets with each \
            --in-flight count of jobs in flight, right after the last burst ended, and --settle seconds later.
            """
    )

    @Option(help: "Offered rates in queries per second, comma separated.")
    var rates = "50,100,200,300,400,500"
    @Option(help: "Seconds of traffic per rate.")
    var seconds = 10
    @Option(help: "Jobs in flight at once whose memory is read, comma separated.")
    var inFlight = "256,1000,5000"
    @Option(help: "Seconds the slow model holds each answer while memory is read.")
    var hold = 30.0
    @Option(help: "Seconds after the last burst before memory and sockets are read again.")
    var settle = 60.0

    func validate() throws {
        _ = try BenchQueueCommand.parseList(rates, name: "--rates")
        let counts = try BenchQueueCommand.parseList(inFlight, name: "--in-flight")
        guard counts.allSatisfy({ $0 <= 10_000 }) else { throw ValidationError("--in-flight counts must be at most 10000 (a worker's concurrency)") }
        guard (1...3600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 3600") }
        guard (0.1...600).contains(hold), (0...3600).contains(settle) else {
            throw ValidationError("--hold must be 0.1 to 600 seconds and --settle 0 to 3600")
        }
    }

    func run() async throws {
        let options = WorkerBenchmark.Options(
            rates: try BenchQueueCommand.parseList(rates, name: "--rates"), seconds: seconds,
            inFlight: try BenchQueueCommand.parseList(inFlight, name: "--in-flight"),
            hold: CommandSupport.duration(seconds: hold), settle: CommandSupport.duration(seconds: settle)
        )
        try await CommandSupport.reportingFailures(prefix: "ragsim bench-worker") { try await WorkerBenchmark(options: options).run() }
    }
}
