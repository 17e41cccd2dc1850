@testable import FakeBackends
import Testing

/// The fakes' own JSON reader and writer on strings: runs between escapes are copied whole, so
/// escapes first, last, side by side or absent must all come back as they went in.
@Suite("The fakes' JSON strings")
struct FakesJSONTests {
    @Test("a string written and parsed again is the same string", arguments: [
        "", "\"", "\\\\", "\n\n", "x\n", "\nx", "plain text with no escape at all", "é\u{7}é", "Page: 3\n\n---\n\n\"quoted\" \\ end",
    ])
    func roundTrip(text: String) throws {
        var writer = JSONWriter()
        writer.write(.string(text))
        #expect(try JSONParser.parse(writer.bytes) == .string(text), "\(String(decoding: writer.bytes, as: UTF8.self))")
    }

    @Test("escapes in the middle of long runs read as the characters they stand for")
    func escapes() throws {
        let literal = #""\u00e9t\u00e9: a\tb\r\nc \"d\" e\\f \/ g""#
        #expect(try JSONParser.parse(Array(literal.utf8)) == .string("été: a\tb\r\nc \"d\" e\\f / g"))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("\"ab\\ncd\u{1}\"".utf8)) }
    }
}
