import Testing
@testable import RAGQueue

/// Response headers as the clients read them: names compare without regard to ASCII case.
@Suite("HTTP client headers")
struct HTTPClientHeadersTests {
    @Test("a lookup finds a field whatever the ASCII case of either name; other names, and longer or shorter ones, do not match")
    func caseInsensitiveLookup() {
        var headers: HTTPClientHeaders = ["X-RateLimit-Remaining-Tokens": "900", "Content-Type": "application/json"]
        headers.add(name: "x-ratelimit-remaining-tokens", value: "800")
        #expect(headers["x-ratelimit-remaining-tokens"] == "900", "the first of two")
        #expect(headers["X-RATELIMIT-REMAINING-TOKENS"] == "900")
        #expect(headers.values(of: "x-RateLimit-remaining-tokens") == ["900", "800"])
        #expect(headers["content-typ"] == nil)
        #expect(headers["content-types"] == nil)
        #expect(headers["content_type"] == nil)
        #expect(headers.contains("CONTENT-TYPE"))
        headers.replaceOrAdd(name: "content-type", value: "text/plain")
        #expect(headers.values(of: "Content-Type") == ["text/plain"])
    }
}
