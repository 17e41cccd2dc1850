import Hummingbird

extension OpenAIChatRequest {
    /// Answers the request: a `chat.completion` after `perOutputToken` per token, or an SSE stream
    /// that sends its tokens at that pace. The lease is released once the answer is written.
    func respond(perOutputToken: Duration, lease: RequestGate<FakeOpenAIServer.Endpoint>.Lease) async throws -> Response {
        if !stream {
            let tokenTime = perOutputToken * completion.tokens.count
            if tokenTime > .zero { try await Task.sleep(for: tokenTime) }
            return HTTPSupport.json(200, JSONWriter.encode(completionBody()))
        }
        let events = streamEvents()
        var headers = HTTPSupport.fields([("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")])
        headers[.connection] = "keep-alive"
        let body = ResponseBody { writer in
            defer { lease.release() }
            for event in events {
                if event.isToken, perOutputToken > .zero { try await Task.sleep(for: perOutputToken) }
                try await writer.write(ByteBuffer(bytes: event.bytes))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private var commonMembers: [(String, JSONValue)] {
        [("id", .string(id)), ("object", "chat.completion"), ("created", .int(OpenAIModels.created)), ("model", .string(model))]
    }

    private func usageBody() -> JSONValue {
        .obj([
            ("prompt_tokens", .int(Int64(completion.usage.prompt))),
            ("completion_tokens", .int(Int64(completion.usage.completion))),
            ("total_tokens", .int(Int64(completion.usage.total))),
            ("prompt_tokens_details", .obj([("cached_tokens", 0), ("audio_tokens", 0)])),
            (
                "completion_tokens_details",
                .obj([
                    ("reasoning_tokens", 0), ("audio_tokens", 0), ("accepted_prediction_tokens", 0),
                    ("rejected_prediction_tokens", 0),
                ])
            ),
        ])
    }

    /// The non-streamed body.
    func completionBody() -> JSONValue {
        let choiceList: [JSONValue] = (0..<choices).map { index in
            .obj([
                ("index", .int(Int64(index))),
                (
                    "message",
                    .obj([("role", "assistant"), ("content", .string(completion.content)), ("refusal", nil), ("annotations", .array([]))])
                ),
                ("logprobs", nil), ("finish_reason", .string(completion.finishReason)),
            ])
        }
        return .obj(
            commonMembers + [
                ("choices", .array(choiceList)), ("usage", usageBody()), ("service_tier", "default"),
                ("system_fingerprint", .string(fingerprint)),
            ])
    }

    /// One SSE event: its bytes, and whether it carries a token (paced by the per-token time).
    struct StreamEvent {
        var bytes: [UInt8]
        var isToken: Bool
    }

    /// The whole stream: role chunk, one chunk per token, finish chunk, usage chunk, `[DONE]`.
    func streamEvents() -> [StreamEvent] {
        var events = [StreamEvent]()
        func chunk(_ choiceList: [JSONValue], usage: JSONValue? = nil, isToken: Bool = false) {
            var members: [(String, JSONValue)] = [
                ("id", .string(id)), ("object", "chat.completion.chunk"), ("created", .int(OpenAIModels.created)),
                ("model", .string(model)), ("service_tier", "default"), ("system_fingerprint", .string(fingerprint)),
                ("choices", .array(choiceList)),
            ]
            if includeUsage { members.append(("usage", usage ?? .null)) }
            var bytes = Array("data: ".utf8)
            bytes += JSONWriter.encode(.obj(members))
            bytes += Array("\n\n".utf8)
            events.append(StreamEvent(bytes: bytes, isToken: isToken))
        }
        func choice(_ index: Int, delta: JSONValue, finish: JSONValue = nil) -> JSONValue {
            .obj([("index", .int(Int64(index))), ("delta", delta), ("logprobs", nil), ("finish_reason", finish)])
        }
        let indices = 0..<choices
        chunk(indices.map { choice($0, delta: .obj([("role", "assistant"), ("content", ""), ("refusal", nil)])) })
        for token in completion.tokens {
            chunk(indices.map { choice($0, delta: .obj([("content", .string(token))])) }, isToken: true)
        }
        chunk(indices.map { choice($0, delta: .obj([]), finish: .string(completion.finishReason)) })
        if includeUsage { chunk([], usage: usageBody()) }
        events.append(StreamEvent(bytes: Array("data: [DONE]\n\n".utf8), isToken: false))
        return events
    }
}
