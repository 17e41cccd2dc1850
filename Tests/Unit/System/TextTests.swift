import Foundation
import Testing
@testable import RAGQueue

/// The project's own text helpers, which replaced Foundation's on the hot path: they must say what
/// Foundation said.
@Suite("Text helpers")
struct TextTests {
    static let samples = [
        "", " ", "\t\n\r\u{0B}\u{0C}", "What is RAG?", "  What is RAG?  ", "\n\tline one\nline two\r\n",
        "\u{00A0}non-breaking\u{00A0}", "\u{3000}ideographic\u{2003}", "\u{2028}separators\u{2029}\u{0085}",
        "inner   spaces stay", "é accented ", " 日本語 ",
    ]

    @Test("trimming whitespace gives what Foundation's trimming of whitespace and newlines gives", arguments: samples)
    func trimming(text: String) {
        #expect(String(text.trimmingWhitespace) == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("a zero-width space is not whitespace (Unicode's White_Space; Foundation on Linux trims it, from an old Zs)")
    func zeroWidthSpace() {
        #expect("\u{200B}kept\u{200B} ".trimmingWhitespace == "\u{200B}kept\u{200B}")
    }

    @Test("bytes as hexadecimal: two lowercase digits each, read back by the decoder")
    func hex() {
        let bytes: [UInt8] = [0x00, 0x0F, 0x10, 0xA0, 0x7E, 0xFF]
        #expect(bytes.lowercaseHex == "000f10a07eff")
        #expect([UInt8](hex: bytes.lowercaseHex) == bytes)
        #expect([UInt8]().lowercaseHex == "")
        let all = (0...255).map(UInt8.init)
        #expect(all.lowercaseHex == all.map { String(format: "%02x", $0) }.joined())
    }
}
