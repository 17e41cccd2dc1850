import FakeBackends
import Foundation
import Testing

@Suite("Fakes: OpenAI over HTTP")
struct FakesOpenAIServerTests {
    @Test("models are listed and retrieved; an unknown one is a 404 model_not_found")
    func models() async throws {
        try await withOpenAI { (server) async throws in
            let list = try await RawHTTP.openAI(server.port, "GET", "/v1/models")
            #expect(list.status == 200)
            let ids = (try json(list)["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.contains("gpt-4.1") && ids.contains("text-embedding-3-large"))

            let one = try await RawHTTP.openAI(server.port, "GET", "/v1/models/gpt-4o-mini")
            #expect(one.status == 200)
            #expect(try json(one)["id"] as? String == "gpt-4o-mini")
            #expect(try json(one)["object"] as? String == "model")

            let missing = try await RawHTTP.openAI(server.port, "GET", "/v1/models/gpt-nope")
            #expect(missing.status == 404)
            let error = try openAIError(missing)
            #expect(error["code"] as? String == "model_not_found")
            #expect(error.keys.sorted() == ["code", "message", "param", "type"])
        }
    }

    @Test("every response carries a request id, the API version and x-ratelimit headers")
    func standardHeaders() async throws {
        try await withOpenAI(.init(rateLimits: .init(requestsPerMinute: 100, tokensPerMinute: 5000))) { (server) async throws in
            let response = try await RawHTTP.openAI(
                server.port, "POST", "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":"abcdefgh"}"#)
            #expect(response.status == 200)
            let id = try #require(response.header("x-request-id"))
            #expect(id.hasPrefix("req_") && id.count == 36)
            #expect(response.header("openai-version") == "2020-10-01")
            #expect(response.header("x-ratelimit-limit-requests") == "100")
            #expect(response.header("x-ratelimit-remaining-requests") == "99")
            #expect(response.header("x-ratelimit-limit-tokens") == "5000")
            #expect(response.header("x-ratelimit-remaining-tokens") == "4998")
            #expect(response.header("x-ratelimit-reset-requests")?.hasSuffix("s") == true)
        }
    }

    @Test("a missing or malformed Authorization header is 401; sk-invalid keys are invalid_api_key")
    func authentication() async throws {
        try await withOpenAI { (server) async throws in
            let none = try await RawHTTP.send(port: server.port, "GET", "/v1/models")
            #expect(none.status == 401)
            #expect((try openAIError(none)["message"] as? String)?.hasPrefix("You didn't provide an API key") == true)
            #expect(try openAIError(none)["code"] is NSNull)

            let basic = try await RawHTTP.send(port: server.port, "GET", "/v1/models", headers: [("Authorization", "Basic abc")])
            #expect(basic.status == 401)

            let bad = try await RawHTTP.send(
                port: server.port, "GET", "/v1/models", headers: [("Authorization", "Bearer sk-invalid-0123456789")])
            #expect(bad.status == 401)
            #expect(try openAIError(bad)["code"] as? String == "invalid_api_key")
            #expect((try openAIError(bad)["message"] as? String)?.contains("0123456789") == false)
        }
    }

    @Test("an unknown path is 404 Invalid URL")
    func unknownPath() async throws {
        try await withOpenAI { (server) async throws in
            let response = try await RawHTTP.openAI(server.port, "POST", "/v1/foo", body: "{}")
            #expect(response.status == 404)
            #expect(try openAIError(response)["message"] as? String == "Invalid URL (POST /v1/foo)")
        }
    }

    @Test("base64 embeddings carry exactly the float32 values of float embeddings, unit length")
    func embeddingFormats() async throws {
        try await withOpenAI { (server) async throws in
            let input = #"["the cat sat on the mat", "quantum chromodynamics"]"#
            let floatBody = try json(
                try await RawHTTP.openAI(
                    server.port, "POST", "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":\#(input)}"#))
            let base64Body = try json(
                try await RawHTTP.openAI(
                    server.port, "POST", "/v1/embeddings",
                    body: #"{"model":"text-embedding-3-small","input":\#(input),"encoding_format":"base64"}"#))
            let floatData = try #require(floatBody["data"] as? [[String: Any]])
            let base64Data = try #require(base64Body["data"] as? [[String: Any]])
            #expect(floatData.count == 2 && base64Data.count == 2)
            for index in 0..<2 {
                #expect(floatData[index]["index"] as? Int == index)
                let plain = floats(floatData[index]["embedding"])
                let decoded = try #require(decodeFloats(base64Data[index]["embedding"] as? String ?? ""))
                #expect(plain.count == 1536)
                #expect(plain == decoded)
                #expect(abs(length(plain) - 1) < 1e-5)
            }
            let usage = try #require(floatBody["usage"] as? [String: Any])
            // ceil(22/4) + ceil(22/4) = 6 + 6.
            #expect(usage["prompt_tokens"] as? Int == 12)
            #expect(usage["total_tokens"] as? Int == 12)
            #expect(floatBody["model"] as? String == "text-embedding-3-small")
        }
    }

    @Test("dimensions cut the native vector and renormalise it; token arrays are accepted")
    func dimensionsAndTokens() async throws {
        try await withOpenAI { (server) async throws in
            func embed(_ body: String) async throws -> [[Float]] {
                let response = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: body)
                #expect(response.status == 200, "\(response.text)")
                return (try json(response)["data"] as? [[String: Any]] ?? []).map { floats($0["embedding"]) }
            }
            let native = try await embed(#"{"model":"text-embedding-3-large","input":"red apples"}"#)[0]
            let short = try await embed(#"{"model":"text-embedding-3-large","input":"red apples","dimensions":256}"#)[0]
            #expect(native.count == 3072 && short.count == 256)
            let prefix = Array(native.prefix(256))
            let scaled = prefix.map { $0 / length(prefix) }
            #expect(zip(scaled, short).allSatisfy { abs($0 - $1) < 1e-5 })

            let tokens = try await embed(#"{"model":"text-embedding-ada-002","input":[[1,2,3],[1,2,4],[900,901]]}"#)
            #expect(tokens.count == 3)
            #expect(dot(tokens[0], tokens[1]) > dot(tokens[0], tokens[2]))
            let single = try await embed(#"{"model":"text-embedding-ada-002","input":[1,2,3]}"#)
            #expect(single == [tokens[0]])
        }
    }

    @Test("texts that share words lie nearer than texts that do not")
    func embeddingsAreMeaningful() async throws {
        try await withOpenAI { (server) async throws in
            let body = #"{"model":"text-embedding-3-small","input":["How do I reset my router password?","Router password reset: hold the button for ten seconds.","The history of the Roman empire spans centuries."]}"#
            let data = try json(try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: body))["data"] as? [[String: Any]]
            let vectors = (data ?? []).map { floats($0["embedding"]) }
            try #require(vectors.count == 3)
            #expect(dot(vectors[0], vectors[1]) > dot(vectors[0], vectors[2]) + 0.2)
        }
    }

    @Test(
        "bad embedding requests get OpenAI's status and error body",
        arguments: [
            (#"{"input":"x"}"#, 400, "you must provide a model parameter"),
            (#"{"model":"text-embedding-3-small","input":""}"#, 400, "'$.input' is invalid"),
            (#"{"model":"text-embedding-3-small","input":[]}"#, 400, "'$.input' is invalid"),
            (#"{"model":"text-embedding-3-small","input":[1,"a"]}"#, 400, "'$.input' is invalid"),
            (#"{"model":"text-embedding-3-small","input":"a","encoding_format":"hex"}"#, 400, "is not one of ['float', 'base64']"),
            (#"{"model":"text-embedding-ada-002","input":"a","dimensions":8}"#, 400, "does not support specifying dimensions"),
            (#"{"model":"text-embedding-3-small","input":"a","dimensions":5000}"#, 400, "Must be between 1 and 1536"),
            (#"{"model":"nope","input":"a"}"#, 404, "The model `nope` does not exist"),
            ("{not json", 400, "We could not parse the JSON body"),
        ])
    func badEmbeddings(body: String, status: Int, message: String) async throws {
        try await withOpenAI { (server) async throws in
            let response = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: body)
            #expect(response.status == status)
            let error = try openAIError(response)
            #expect((error["message"] as? String)?.contains(message) == true, "\(response.text)")
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(server.counters.snapshot().rejected[.embeddings] == 1)
        }
    }

    @Test("too many inputs or tokens are refused")
    func embeddingLimits() async throws {
        try await withOpenAI { (server) async throws in
            let many = "[" + Array(repeating: "\"a\"", count: 2049).joined(separator: ",") + "]"
            let tooMany = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":\#(many)}"#)
            #expect(tooMany.status == 400)
            let long = String(repeating: "abcd", count: 8193)
            let tooLong = try await RawHTTP.openAI(server.port, "POST", "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":"\#(long)"}"#)
            #expect(tooLong.status == 400)
            #expect((try openAIError(tooLong)["message"] as? String)?.contains("maximum context length is 8192") == true)
        }
    }
}
