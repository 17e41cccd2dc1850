import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("Server-sent event parsing")
    struct ServerSentEventParserTests {
        private func parse(_ chunks: [String]) -> [ServerSentEvent] {
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            for chunk in chunks {
                events += parser.feed(Array(chunk.utf8))
            }
            if let last = parser.finish() {
                events.append(last)
            }
            return events
        }

        @Test("events end at blank lines; data: drops one leading space")
        func basic() {
            let events = self.parse(["data: {\"a\":1}\n\ndata:{\"b\":2}\n\ndata: [DONE]\n\n"])
            #expect(events.map(\.data) == ["{\"a\":1}", "{\"b\":2}", "[DONE]"])
        }

        @Test("CRLF and CR line ends work, also when split across chunks")
        func lineEnds() {
            let events = self.parse(["data: one\r", "\n\r", "\ndata: two\r\rdata: three\n", "\n"])
            #expect(events.map(\.data) == ["one", "two", "three"])
        }

        @Test("a line split across chunks is joined")
        func splitLine() {
            let events = self.parse(["da", "ta: hel", "lo\n", "\n"])
            #expect(events.map(\.data) == ["hello"])
        }

        @Test("comments are skipped; event and id fields are kept; data lines join with newlines")
        func fields() {
            let events = self.parse([": keep-alive\n\nevent: update\nid: 7\ndata: line 1\ndata: line 2\n\n"])
            #expect(events == [ServerSentEvent(event: "update", data: "line 1\nline 2", id: "7")])
        }

        @Test("a final event without its blank line is still delivered")
        func unterminated() {
            #expect(self.parse(["data: last"]).map(\.data) == ["last"])
        }

        @Test("blocks without data produce no event")
        func empty() {
            #expect(self.parse(["event: ping\n\n\n\n"]).isEmpty)
        }
    }
}
