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

    /// Opens the event stream and relays its events as they arrive; cancel the task to hang up.
    static func openEvents(
        _ api: APIHarness, _ path: String, lastEventID: String? = nil
    ) -> (events: AsyncThrowingStream<ServerSentEvent, any Error>, connection: Task<Void, Never>) {
        let (events, continuation) = AsyncThrowingStream.makeStream(of: ServerSentEvent.self)
        let connection = Task {
            do {
                var headers: HTTPClientHeaders = [:]
                if let lastEventID { headers.add(name: "Last-Event-ID", value: lastEventID) }
                let response = try await api.http.stream(HTTPClientRequest(url: api.baseURL + path, headers: headers, timeout: .seconds(30)))
                #expect(response.status == 200)
                var parser = ServerSentEventParser()
                for try await chunk in response.body {
                    for event in parser.feed(chunk) { continuation.yield(event) }
                }
                if let last = parser.finish() { continuation.yield(last) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return (events, connection)
    }

    /// Reads `events` until `enough` holds for what was read.
    static func read(
        _ events: AsyncThrowingStream<ServerSentEvent, any Error>, until enough: ([ServerSentEvent]) -> Bool
    ) async throws -> [ServerSentEvent] {
        var read: [ServerSentEvent] = []
        for try await event in events {
            read.append(event)
            if enough(read) { break }
        }
        return read
    }

    /// The texts of the `token` events.
    static func texts(_ events: [ServerSentEvent]) -> [String] {
        events.filter { $0.event == "token" }.compactMap {
            (try? JSONDecoder().decode(JSONValue.self, from: Data($0.data.utf8)))?["text"]?.stringValue
        }
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

    @Test("A query that follows the same question in flight reads started while its leader runs, and streams the leader's tokens to its own end")
    func followerStreamsLeader() async throws {
        let policy = AnswerCachePolicy(ttl: .seconds(60), chatModel: "test-model", promptVersion: "1")
        let gate = TestGate()
        defer { gate.open() }
        try await withAPI(worker: true, gate: gate, answerCache: policy) { api in
            let leader = try await api.submit("How long is a lease?", extra: #""stream":true"#)
            try await eventually("the leader to start") {
                try await api.send(.get, "/v1/queries/\(leader)").json["status"] == .string("started")
            }
            let follower = try await api.submit("how long is a lease?", extra: #""stream":true"#)
            #expect(try await api.send(.get, "/v1/queries/\(follower)").json["coalesced_with"] == .string(leader))
            // The leader waits at the gate; on a loaded machine it may lose its lease and wait to
            // run again, the follower reading queued until it does.
            try await eventually("the follower to read as its running leader") {
                let read = try await api.send(.get, "/v1/queries/\(follower)").json
                return read["status"] == .string("started") && read["started_at"] != nil
            }

            let (stream, connection) = Self.openEvents(api, "/v1/queries/\(follower)/events")
            defer { connection.cancel() }
            var events = try await Self.read(stream) { $0.contains { $0.event == "status" } }
            let first = try #require(events.first)
            #expect(first.event == "status")
            // Connected: now the leader answers.
            gate.open()
            events += try await Self.read(stream) { $0.last?.event == "end" }
            let statuses = events.filter { $0.event == "status" }.compactMap {
                (try? JSONDecoder().decode(JSONValue.self, from: Data($0.data.utf8)))?["status"]?.stringValue
            }
            #expect(statuses.contains("started"), "the stream shows the leader running: \(statuses)")
            // The tokens of the leader's last attempt (a lost lease starts them over after a `reset`).
            let lastAttempt = Array(events.suffix(from: (events.lastIndex { $0.event == "reset" } ?? -1) + 1))
            #expect(Self.texts(lastAttempt).joined() == CannedRAGHandler.answer(to: "How long is a lease?"), "the leader's tokens")
            let end = try #require(events.last)
            #expect(end.event == "end")
            let final = try JSONDecoder().decode(JSONValue.self, from: Data(end.data.utf8))
            #expect(final["id"] == .string(follower) && final["status"] == .string("finished"))
        }
    }

    @Test("Status events follow a job that a user cancels")
    func statusUntilCanceled() async throws {
        try await withAPI { api in
            let id = try await api.submit("never runs")
            async let events = Self.collectEvents(api, "/v1/queries/\(id)/events")
            // The stream opens with the current status; a cancel before its subscription is in place
            // reaches it as the resync that follows the subscription.
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

    @Test("A client reconnecting with Last-Event-ID gets only the tokens after it, live and after the end")
    func resumeWithLastEventID() async throws {
        try await withAPI { api in
            let id = try await api.submit("resume me", extra: #""stream":true"#)
            let jobID = try #require(JobID(id))
            let claimed = try #require(try await api.queue.store.claim(workerID: "test", count: 1).jobs.first)
            func append(_ entry: TokenEntry.Kind) async throws {
                try await api.queue.store.appendTokens([entry], to: jobID)
            }
            try await append(.attempt(1))
            for word in ["one", " two", " three"] { try await append(.text(word)) }

            // The first connection hangs up after the second token.
            let first = Self.openEvents(api, "/v1/queries/\(id)/events")
            let seen = try await Self.read(first.events) { Self.texts($0).count == 2 }
            first.connection.cancel()
            #expect(Self.texts(seen) == ["one", " two"])
            let lastSeen = try #require(seen.last?.id)

            // Tokens written while no one listens, then a reconnect naming the last one seen.
            for word in [" four", " five"] { try await append(.text(word)) }
            let second = Self.openEvents(api, "/v1/queries/\(id)/events", lastEventID: lastSeen)
            var resumed = try await Self.read(second.events) { Self.texts($0).count == 3 }
            #expect(resumed.first?.event == "status")
            #expect(Self.texts(resumed) == [" three", " four", " five"])
            #expect(!resumed.contains { $0.event == "reset" })

            // The rest arrives as usual.
            try await append(.text(" six"))
            try await append(.end(finishReason: "stop"))
            let answer = RAGAnswer(answer: "one two three four five six", sources: [], model: "m", embeddingModel: "e", collection: "c")
            try await api.queue.store.complete(claimed.lease, result: Array(try JSONEncoder().encode(answer)), timings: [:])
            for try await event in second.events { resumed.append(event) }
            #expect(Self.texts(resumed) == [" three", " four", " five", " six"])
            #expect(resumed.filter { $0.event == "done" }.count == 1)
            #expect(resumed.last?.event == "end")
            #expect(resumed.last?.data.contains(#""status":"finished""#) == true)

            // After the end, a reconnect replays only what follows its id.
            let fourth = try #require(resumed.first { $0.data.contains("four") }?.id)
            let late = try await Self.read(Self.openEvents(api, "/v1/queries/\(id)/events", lastEventID: fourth).events) { _ in false }
            #expect(late.map(\.event) == ["status", "token", "token", "done", "end"])
            #expect(Self.texts(late) == [" five", " six"])

            // An id this stream never sent is refused before the stream starts.
            let bad = try await api.send(.get, "/v1/queries/\(id)/events", headers: ["Last-Event-ID": "soon"])
            #expect(bad.status == 422)
            #expect(bad.json["error"]?["code"] == .string("validation_error"))
        }
    }
}
