@testable import FakeBackends
import Testing

/// The fakes' own JSON reader and writer on strings: runs between escapes are copied whole, so
/// escapes first, last, side by side or absent must all come back as they went in.
@Suite("The fakes' JSON reader and writer")
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

    @Test("a number reads as the same Double as the standard library reads its text", arguments: [
        "0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.3", "1e23", "1e22", "1.5e-22", "9007199254740993", "9007199254740993.0",
        "123456789012345678901234567890", "0.000123", "-1.25E+3", "5e-324", "2.2250738585072014e-308",
        "1.7976931348623157e308", "0.0000000000000000000001", "4.35e-05", "12345678901234567", "1E0", "1e-0",
    ])
    func number(text: String) throws {
        let expected = Double(text)
        switch try JSONParser.parse(Array(text.utf8)) {
        case .int(let value): #expect(Int64(text) == value, "\(text)")
        case .double(let value): #expect(value.bitPattern == expected?.bitPattern, "\(text): \(value) against \(String(describing: expected))")
        default: Issue.record("\(text) did not read as a number")
        }
    }

    @Test("a query vector's floats, as the worker writes them, read back bit for bit")
    func vectorFloats() throws {
        var random = SeededRandom(seed: 20_261_203)
        var floats: [Float] = (0..<4096).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
        floats = floats.filter(\.isFinite) + (0..<4096).map { _ in Float(Double(random.next() % 2_000_001) / 1_000_000 - 1) }
        let text = "[" + floats.map(\.description).joined(separator: ",") + "]"
        guard case .array(let values) = try JSONParser.parse(Array(text.utf8)) else {
            Issue.record("not an array")
            return
        }
        #expect(values.count == floats.count)
        for (value, float) in zip(values, floats) {
            let read: Double? = switch value {
            case .double(let number): number
            case .int(let number): Double(number)
            default: nil
            }
            #expect(read.map(Float.init) == float, "\(float)")
        }
    }

    @Test("a number out of range is refused, not read as infinity")
    func numberOutOfRange() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("1e400".utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("-1e99999999999".utf8)) }
    }
}
