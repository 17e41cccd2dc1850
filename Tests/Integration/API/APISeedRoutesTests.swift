import Foundation
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// The seed's FastAPI routes keep their paths and shapes; an unknown id is 404, not 500.
@Suite("API seed routes", .timeLimit(.minutes(2)))
struct APISeedRoutesTests {
    @Test("GET / answers the seed's greeting")
    func root() async throws {
        try await withAPI { api in
            let response = try await api.send(.get, "/")
            #expect(response.status == 200)
            #expect(response.json == .object(["status": .string("Server is up and running"), "service": .string("RAG Query API")]))
        }
    }

    @Test("POST /chat queues; job-status and result follow the job to its answer")
    func chatToResult() async throws {
        try await withAPI(worker: true) { api in
            let chat = try await api.send(.post, "/chat?query=What%20is%20RAG%3F")
            #expect(chat.status == 200)
            #expect(chat.json["status"] == .string("queued"))
            #expect(chat.json["message"] == .string("Your query has been queued for processing"))
            let id = try #require(chat.json["job_id"]?.stringValue)

            _ = try await waitForEnd(try #require(JobID(id)), harness: api.queue)
            let status = try await api.send(.get, "/job-status/\(id)")
            #expect(status.status == 200)
            #expect(status.json["job_id"] == .string(id))
            #expect(status.json["status"] == .string("finished"))
            #expect(status.json["result"] == .string(CannedRAGHandler.answer(to: "What is RAG?")))
            #expect(status.json["created_at"]?.stringValue?.contains("T") == true)
            #expect(status.json["ended_at"]?.stringValue != nil)

            let result = try await api.send(.get, "/result/\(id)")
            #expect(result.json == .object([
                "job_id": .string(id), "status": .string("completed"), "result": .string(CannedRAGHandler.answer(to: "What is RAG?")),
            ]))
        }
    }

    @Test("/result before the end says the job is not yet completed")
    func resultNotReady() async throws {
        try await withAPI { api in
            let chat = try await api.send(.post, "/chat?query=hello")
            let id = try #require(chat.json["job_id"]?.stringValue)
            let result = try await api.send(.get, "/result/\(id)")
            #expect(result.status == 200)
            #expect(result.json == .object([
                "status": .string("queued"), "message": .string("Job is not yet completed. Check /job-status for updates."),
            ]))
            let status = try await api.send(.get, "/job-status/\(id)")
            #expect(status.json["status"] == .string("queued"))
            #expect(status.json["result"] == nil)
        }
    }

    @Test("Blank query is 400, missing query is FastAPI's 422, unknown id is 404")
    func seedErrors() async throws {
        try await withAPI { api in
            let blank = try await api.send(.post, "/chat?query=%20%20")
            #expect(blank.status == 400)
            #expect(blank.json == .object(["detail": .string("Query cannot be empty")]))

            let missing = try await api.send(.post, "/chat")
            #expect(missing.status == 422)
            let detail = try #require(missing.json["detail"]?.arrayValue?.first)
            #expect(detail["type"] == .string("missing"))
            #expect(detail["loc"] == .array([.string("query"), .string("query")]))
            #expect(detail["msg"] == .string("Field required"))

            for path in ["/job-status/\(JobID())", "/result/\(JobID())", "/job-status/not-an-id"] {
                let unknown = try await api.send(.get, path)
                #expect(unknown.status == 404, "\(path)")
                #expect(unknown.json == .object(["detail": .string("Job not found")]))
            }
        }
    }
}
