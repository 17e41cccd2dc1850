import FakeBackends
import Testing

/// The fake chat's answer names the pages of its context: simulator runs and the integration
/// tests check sources against it, so every line ending a prompt may carry must split lines.
@Suite("The fake chat's page numbers")
struct FakeChatModelTests {
    @Test("pages are read from every line, in order, once each, whatever ends the lines")
    func pages() {
        let context = [
            "Context:", "Page Content: routers", "Page Number: 3", "  \tPage Number: 7 ", "Page Number: N/A", "Page Number:",
            "Page Number: 3", "not a Page Number: 9", "Page Number: 12",
        ]
        for separator in ["\n", "\r\n", "\r", "\u{2028}", "\u{85}", "\u{0B}"] {
            let messages = [
                FakeChatModel.Message(role: "system", content: context.joined(separator: separator)),
                FakeChatModel.Message(role: "user", content: "Page Number: 12\(separator)Page Number: ii"),
            ]
            #expect(FakeChatModel.pageNumbers(in: messages) == ["3", "7", "12", "ii"], "\(Array(separator.unicodeScalars))")
        }
    }

    @Test("a line with combining marks or emoji before the prefix is not a page line")
    func notAPageLine() {
        let messages = [FakeChatModel.Message(role: "system", content: "é Page Number: 1\n👍Page Number: 2\nPage Number: 3é")]
        #expect(FakeChatModel.pageNumbers(in: messages) == ["3é"])
    }
}
