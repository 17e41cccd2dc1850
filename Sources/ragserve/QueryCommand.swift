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
    @Flag(help: "Wait for the answer and print it, with its sources.")
    var wait = false
    @Flag(help: "Print the query as the API has it (JSON: status, result with answer and sources, error, timings); with --wait, once it ended.")
    var json = false
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
        let baseURL = url ?? environment["RAGQUEUE_API_URL"] ?? "http://127.0.0.1:8000"
        guard let parsed = URL(string: baseURL), parsed.scheme == "http" || parsed.scheme == "https", parsed.host?.isEmpty == false else {
            throw CommandSupport.fail(CommandFailure("the API URL must be http:// or https:// with a host, got \"\(baseURL)\" (--url or RAGQUEUE_API_URL)"))
        }
        let httpClient = try CurlHTTPClient()
        let client = RAGQueueClient(baseURL: baseURL, apiKey: environment["RAGQUEUE_API_KEY"], httpClient: httpClient)
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

    /// The job id, or with `--wait` the answer and its sources (with `--json`, the query as the
    /// API has it); throws what to say when there is none.
    private func ask(_ query: RAGQuery, client: RAGQueueClient) async throws -> String {
        let id = try await client.submit(query)
        guard wait else { return json ? JSONValue.object(["id": .string(id.rawValue)]).description : id.rawValue }
        let view = try await client.waitForEnd(of: id, timeout: .seconds(timeout))
        if json, view["status"]?.stringValue == "finished" { return view.description }
        switch view["status"]?.stringValue {
        case "finished":
            let answer = view["result"]?["answer"]?.stringValue ?? view["result"]?.displayText ?? ""
            let sources = view["result"]?["sources"]?.arrayValue ?? []
            guard !sources.isEmpty else { return answer }
            let lines = sources.enumerated().map { index, source -> String in
                let name = source["source"]?.stringValue ?? source["id"]?.stringValue ?? "?"
                let page = (source["page_label"]?.stringValue ?? source["page"]?.intValue.map(String.init)).map { ", page \($0)" } ?? ""
                return "  \(index + 1). \(name)\(page)"
            }
            return ([answer, "", "Sources:"] + lines).joined(separator: "\n")
        case "failed", "canceled":
            let message = view["error"]?["message"]?.stringValue ?? view["status"]?.stringValue ?? "failed"
            throw CommandFailure("query \(id) ended without an answer: \(message)")
        default:
            throw CommandFailure("no answer within \(timeout) s; the query is \(id)")
        }
    }
}
