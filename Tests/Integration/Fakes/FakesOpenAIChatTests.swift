import FakeBackends
import Foundation
import Testing

@Suite("Fakes: OpenAI chat over HTTP")
struct FakesOpenAIChatTests {
    static let ragRequest = #"""
        {"model":"gpt-4.1","messages":[
          {"role":"system","content":"Answer from the context.\nContext:\nPage Content: routers\nPage Number: 3\nFile Location: a.pdf\n\n---\n\nPage Content: passwords\nPage Number: 7\nFile Location: a.pdf\n\n---\n\nPage Content: more\nPage Number: 3\nFile Location: a.pdf"},
          {"role":"user","content":"How do I reset the router?"}],
         "temperature":0.2,"user":"someone","tools":[],"seed":4}
        """#

    @Test("the answer names the question, the pages in the context and a hash of the system prompt")
    func plainAnswer() async throws {
        try await withOpenAI { (server) async throws in
            let response = try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: Self.ragRequest)
            #expect(response.status == 200)
            let body = try json(response)
            #expect(body["object"] as? String == "chat.completion")
            #expect(body["model"] as? String == "gpt-4.1")
            #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            let message = try #require(choice["message"] as? [String: Any])
            let content = try #require(message["content"] as? String)
            #expect(content.hasPrefix("Fake answer to: How do I reset the router? (see page 3, 7) [ctx "))
            #expect(choice["finish_reason"] as? String == "stop")
            #expect(message["role"] as? String == "assistant")
            let usage = try #require(body["usage"] as? [String: Any])
            let prompt = try #require(usage["prompt_tokens"] as? Int)
            let completion = try #require(usage["completion_tokens"] as? Int)
            #expect(usage["total_tokens"] as? Int == prompt + completion)
            #expect(completion == FakeChatModel.tokens(of: content).count)

            // A pure function of the messages: the same request gives the same body.
            let again = try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: Self.ragRequest)
            #expect(again.body == response.body)
        }
    }

    @Test("a different system prompt changes the context tag")
    func contextTag() async throws {
        try await withOpenAI { (server) async throws in
            func answer(_ system: String) async throws -> String {
                let body = #"{"model":"gpt-4o","messages":[{"role":"system","content":"\#(system)"},{"role":"user","content":"q"}]}"#
                let response = try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: body)
                let choice = (try json(response)["choices"] as? [[String: Any]])?.first
                return (choice?["message"] as? [String: Any])?["content"] as? String ?? ""
            }
            let first = try await answer("one")
            let second = try await answer("two")
            #expect(first.hasPrefix("Fake answer to: q [ctx "))
            #expect(first != second)
        }
    }

    @Test("the stream concatenates to exactly the plain answer and ends with usage and [DONE]")
    func streaming() async throws {
        try await withOpenAI { (server) async throws in
            let plain = try json(try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: Self.ragRequest))
            let plainContent = ((plain["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            let streamBody = Self.ragRequest.replacingOccurrences(
                of: #""seed":4"#, with: #""seed":4,"stream":true,"stream_options":{"include_usage":true}"#)
            let stream = try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: streamBody)
            #expect(stream.status == 200)
            #expect(stream.header("content-type") == "text/event-stream; charset=utf-8")
            let events = sseData(stream.text)
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map { event in
                try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            }
            var text = ""
            var finish: [String] = []
            for chunk in chunks {
                #expect(chunk["object"] as? String == "chat.completion.chunk")
                #expect(chunk.keys.contains("usage"))
                for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                    text += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
                    if let reason = choice["finish_reason"] as? String { finish.append(reason) }
                }
            }
            #expect(text == plainContent)
            #expect(finish == ["stop"])
            let first = (chunks.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
            #expect(first?["role"] as? String == "assistant")
            let ids = Set(chunks.compactMap { $0["id"] as? String })
            #expect(ids.count == 1)
            let last = try #require(chunks.last)
            #expect((last["choices"] as? [Any])?.isEmpty == true)
            #expect((last["usage"] as? [String: Any])?["completion_tokens"] as? Int == FakeChatModel.tokens(of: text).count)
        }
    }

    @Test("without include_usage no chunk has a usage key")
    func streamWithoutUsage() async throws {
        try await withOpenAI { (server) async throws in
            let body = #"{"model":"gpt-4","stream":true,"messages":[{"role":"user","content":"hi there"}]}"#
            let stream = try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: body)
            let events = sseData(stream.text)
            #expect(events.last == "[DONE]")
            #expect(events.dropLast().allSatisfy { !$0.contains("\"usage\"") })
        }
    }

    @Test("max_completion_tokens cuts the answer with finish_reason length, streamed or not")
    func maxTokens() async throws {
        try await withOpenAI { (server) async throws in
            let body = #"{"model":"gpt-4.1","max_completion_tokens":3,"messages":[{"role":"user","content":"a long question here"}]}"#
            let response = try json(try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: body))
            let choice = try #require((response["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "length")
            #expect((choice["message"] as? [String: Any])?["content"] as? String == "Fake answer to: ")
            #expect((response["usage"] as? [String: Any])?["completion_tokens"] as? Int == 3)

            let streamed = try await RawHTTP.openAI(
                server.port, "POST", "/v1/chat/completions",
                body: #"{"model":"gpt-4.1","stream":true,"max_tokens":3,"messages":[{"role":"user","content":"a long question here"}]}"#)
            #expect(streamed.text.contains(#""finish_reason":"length""#))
        }
    }

    @Test(
        "bad chat requests get OpenAI's status, code and param",
        arguments: [
            (#"{"messages":[{"role":"user","content":"x"}]}"#, 400, nil as String?, nil as String?),
            (#"{"model":"gpt-4.1"}"#, 400, "missing_required_parameter", "messages"),
            (#"{"model":"gpt-4.1","messages":[]}"#, 400, "empty_array", "messages"),
            (#"{"model":"gpt-4.1","messages":"hi"}"#, 400, "invalid_type", "messages"),
            (#"{"model":"gpt-4.1","messages":[{"role":"robot","content":"x"}]}"#, 400, "invalid_value", "messages[0].role"),
            (#"{"model":"gpt-4.1","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#, 400, "integer_below_min_value", "max_tokens"),
            (#"{"model":"gpt-4.1","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}"#, 400, nil, "stream_options"),
            (#"{"model":"gpt-0","messages":[{"role":"user","content":"x"}]}"#, 404, "model_not_found", nil),
            ("[1,2", 400, nil, nil),
        ])
    func badChat(body: String, status: Int, code: String?, param: String?) async throws {
        try await withOpenAI { (server) async throws in
            let response = try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: body)
            #expect(response.status == status, "\(response.text)")
            let error = try openAIError(response)
            #expect(error["code"] as? String == code)
            #expect(error["param"] as? String == param)
            #expect(error["type"] as? String == "invalid_request_error")
        }
    }

    @Test("content given as text parts counts like plain text")
    func contentParts() async throws {
        try await withOpenAI { (server) async throws in
            let body = #"{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":"text","text":"part one"}]}]}"#
            let response = try json(try await RawHTTP.openAI(server.port, "POST", "/v1/chat/completions", body: body))
            let content = ((response["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(content?.hasPrefix("Fake answer to: part one [ctx ") == true)
        }
    }
}
