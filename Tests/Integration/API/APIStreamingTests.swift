import Foundation
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// `GET /v1/queries/{id}/events`: status changes and streamed tokens as Server-Sent Events.
@Suite("API event streams", .timeLimit(.minutes(2)))
struct APIStreamingTests {
    /// Reads the whole event stream (it ends when the job ends), within `timeout`.
    static func collectEvents(_ api: APIHarness, _ path: String, timeout: Duration = .seconds(20)) async throws -> [ServerSentEvent] {
        let response = try await api.http.stream(HTTPClientRequest(url: api.baseURL + path, timeout: timeout))
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"]?.hasPrefix("text/event-stream") == true)
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for try await chunk in response.body {
            events += parser.feed(chunk)
        }
        if let last = parser.finish() { events.append(last) }
        return events
    }

    @Test("A streamed query's events carry its status, every token, and end with the answer")
    func streamedTokens() async throws {
        try await withAPI(worker: true, holdMilliseconds: 200) { api in
            let id = try await api.submit("stream this please", extra: #""stream":true"#)
            let events = try await Self.collectEvents(api, "/v1/queries/\(id)/events")
            #expect(events.first?.event == "status")
            let end = try #require(events.last)
            #expect(end.event == "end")
            let final = try JSONDecoder().decode(JSONValue.self, from: Data(end.data.utf8))
            #expect(final["status"] == .string("finished"))
            let tokens = try events.filter { $0.event == "token" }.map { event in
                try #require(try JSONDecoder().decode(JSONValue.self, from: Data(event.data.utf8))["text"]?.stringValue)
            }
            #expect(tokens.joined() == CannedRAGHandler.answer(to: "stream this please"))
            let statuses = events.filter { $0.event == "status" }.compactMap {
                try? JSONDecoder().decode(JSONValue.self, from: Data($0.data.utf8))["status"]?.stringValue
            }
            #expect(statuses.last == "finished")
        }
    }

    @Test("Status events follow a job that a user cancels")
    func statusUntilCanceled() async throws {
        try await withAPI { api in
            let id = try await api.submit("never runs")
            async let events = Self.collectEvents(api, "/v1/queries/\(id)/events")
            // The stream opens with the current status; cancel once the server has subscribed.
            try await eventually("the event stream is subscribed") {
                try await api.queue.client.send("PUBSUB", "NUMSUB", try api.queue.configuration.keys().events).array?.last?.int ?? 0 >= 1
            }
            #expect(try await api.send(.delete, "/v1/queries/\(id)").status == 200)
            let received = try await events
            #expect(received.first?.event == "status")
            #expect(received.last?.event == "end")
            #expect(received.contains { $0.event == "status" && $0.data.contains("canceled") })
        }
    }

    @Test("An ended job's stream replays its tokens and ends at once")
    func endedJob() async throws {
        try await withAPI(worker: true) { api in
            let id = try await api.submit("already done", extra: #""stream":true"#)
            let polled = try await api.send(.get, "/v1/queries/\(id)?wait=20")
            #expect(polled.json["status"] == .string("finished"))
            let events = try await Self.collectEvents(api, "/v1/queries/\(id)/events")
            #expect(events.map(\.event) == ["status", "reset"] + Array(repeating: "token", count: 4) + ["done", "end"])
        }
    }
}
