import ArgumentParser
import Foundation
import RAGQueue
import RAGQueueAPI

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
        let base = (url ?? environment["RAGQUEUE_API_URL"] ?? "http://127.0.0.1:8000").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var headers: HTTPClientHeaders = ["Content-Type": "application/json"]
        if let key = environment["RAGQUEUE_API_KEY"], !key.isEmpty { headers.add(name: "Authorization", value: "Bearer \(key)") }
        var body: [String: JSONValue] = ["query": .string(question)]
        if let collection { body["collection"] = .string(collection) }
        if let topK { body["top_k"] = .integer(topK) }

        let client = try CurlHTTPClient()
        do {
            try await ask(client: client, base: base, headers: headers, body: body)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    private func ask(client: CurlHTTPClient, base: String, headers: HTTPClientHeaders, body: [String: JSONValue]) async throws {
        let submitted = try await client.execute(HTTPClientRequest(
            url: base + "/v1/queries", method: .post, headers: headers, body: try JSONEncoder().encode(JSONValue.object(body))
        ))
        let accepted = try Self.decode(submitted)
        guard let id = accepted["id"]?.stringValue else { throw ValidationError("the API answered without a job id") }
        guard wait else {
            print(id)
            return
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let response = try await client.execute(HTTPClientRequest(
                url: base + "/v1/queries/\(id)?wait=30", headers: headers, timeout: .seconds(40)
            ))
            let query = try Self.decode(response)
            switch query["status"]?.stringValue {
            case "finished":
                print(query["result"]?["answer"]?.stringValue ?? query["result"]?.displayText ?? "")
                return
            case "failed", "canceled":
                let message = query["error"]?["message"]?.stringValue ?? query["status"]?.stringValue ?? "failed"
                throw ValidationError("query \(id) ended without an answer: \(message)")
            default:
                continue
            }
        }
        throw ValidationError("no answer within \(timeout) s; the query is \(id)")
    }

    private static func decode(_ response: HTTPClientResponse) throws -> JSONValue {
        let value = try? JSONDecoder().decode(JSONValue.self, from: response.body)
        guard response.isSuccess, let value else {
            let message = value?["error"]?["message"]?.stringValue ?? String(decoding: response.body, as: UTF8.self)
            throw ValidationError("the API answered \(response.status): \(message)")
        }
        return value
    }
}
