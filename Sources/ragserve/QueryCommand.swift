import ArgumentParser
import Foundation
import RAGQueue

/// `ragserve query "question"`: submits a question to a running API and, with `--wait`, prints
/// the answer when it is ready (long-polling, no busy loop).
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask a question through the HTTP API."
    )

    @Argument(help: "The question.")
    var question: String
    @Flag(help: "Wait for the answer and print it.")
    var wait = false
    @Option(help: "Base URL of the API (default: RAGQUEUE_API_URL or http://127.0.0.1:8000).")
    var url: String?
    @Option(help: "Collection to search (default: the server's).")
    var collection: String?
    @Option(help: "Chunks to put in the prompt.")
    var topK: Int?
    @Option(help: "Longest wait for the answer, in seconds.")
    var timeout: Int = 300

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try CommandSupport.configuration()
        // The server fills in the defaults; the same rules refuse a bad query before it is sent.
        let query = RAGQuery(query: question, collection: collection, topK: topK)
        do {
            _ = try query.validated(by: configuration.pipeline.rules)
        } catch {
            throw ValidationError(error.message)
        }
        let httpClient = try CurlHTTPClient()
        let client = RAGQueueClient(
            baseURL: url ?? environment["RAGQUEUE_API_URL"] ?? "http://127.0.0.1:8000", apiKey: environment["RAGQUEUE_API_KEY"],
            httpClient: httpClient
        )
        let outcome: Result<String, ExitCode>
        do {
            outcome = .success(try await ask(query, client: client))
        } catch let refusal {
            outcome = .failure(CommandSupport.fail(refusal))
        }
        await httpClient.shutdown()
        switch outcome {
        case .success(let text): print(text)
        case .failure(let exit): throw exit
        }
    }

    /// The job id, or with `--wait` the answer; throws what to say when there is none.
    private func ask(_ query: RAGQuery, client: RAGQueueClient) async throws -> String {
        let id = try await client.submit(query)
        guard wait else { return id.rawValue }
        let view = try await client.waitForEnd(of: id, timeout: .seconds(timeout))
        switch view["status"]?.stringValue {
        case "finished":
            return view["result"]?["answer"]?.stringValue ?? view["result"]?.displayText ?? ""
        case "failed", "canceled":
            let message = view["error"]?["message"]?.stringValue ?? view["status"]?.stringValue ?? "failed"
            throw CommandFailure("query \(id) ended without an answer: \(message)")
        default:
            throw CommandFailure("no answer within \(timeout) s; the query is \(id)")
        }
    }
}
