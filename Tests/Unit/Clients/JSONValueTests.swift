import Foundation
import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("JSONValue")
    struct JSONValueTests {
        @Test("decodes and re-encodes any JSON, keeping integers apart from other numbers")
        func roundTrip() throws {
            let text = #"{"a":[1,2.5,"x",true,null],"b":{"c":-7}}"#
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(value == ["a": [1, 2.5, "x", true, nil], "b": ["c": -7]])
            let again = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
            #expect(again == value)
        }

        @Test("dotted paths and accessors read nested values")
        func paths() {
            let value: JSONValue = ["metadata": ["page": 3, "source": "a.pdf", "score": 2.0]]
            #expect(value.value(atPath: "metadata.page")?.intValue == 3)
            #expect(value.value(atPath: "metadata.source")?.stringValue == "a.pdf")
            #expect(value.value(atPath: "metadata.score")?.intValue == 2)
            #expect(value.value(atPath: "metadata.missing") == nil)
            #expect(JSONValue.number(3).displayText == "3")
        }

        @Test("description is JSON with sorted keys and escapes")
        func description() {
            let value: JSONValue = ["b": "q\"\n", "a": [1, nil]]
            #expect(value.description == #"{"a":[1,null],"b":"q\"\n"}"#)
        }

        @Test("the byte parser reads what JSONDecoder reads, to the same values")
        func parserAgrees() throws {
            let samples = [
                #"{"a":[1,2.5,"x",true,null],"b":{"c":-7}}"#, #"  [ ]  "#, "{}", "0", "-0", "-12", "1.5E-2", "9223372036854775807",
                "9223372036854775808", "-9223372036854775808", #""\u00e9\ud83d\ude00 \" \\ \/ \b\f\n\r\t""#, "\"caf\u{e9} \u{1F600}\"",
                #"[[[[["deep"]]]]]"#, #"{"nested":{"list":[{"k":null},[],{}]}}"#, "0.1", "123456789.123456789", "true", "null",
                #"{"page_content":"line one\nline two, café\t\"quoted\" résumé 日本\n","n":1}"#,
            ]
            for sample in samples {
                let expected = try JSONDecoder().decode(JSONValue.self, from: Data(sample.utf8))
                #expect(try JSONValue(parsing: Array(sample.utf8)) == expected, "\(sample)")
                #expect(JSONValue.isValid(Array(sample.utf8)), "checked without building: \(sample)")
                #expect(try JSONValue(parsing: expected.jsonBytes) == expected, "written and read back: \(sample)")
            }
            // Where the two differ, the parser keeps to what JSONValue documents (JSONDecoder reads
            // 1e3 as an integer and keeps a repeated key's first value, as few other readers do).
            #expect(try JSONValue(parsing: Array("1e3".utf8)) == .number(1000))
            #expect(try JSONValue(parsing: Array(#"{"dup":1,"dup":2}"#.utf8)) == ["dup": 2])
        }

        @Test("the byte parser refuses what is not JSON, saying where")
        func parserRefuses() {
            let texts = [
                "", "{", "[1,]", #"{"a" 1}"#, "01", "1.", "-", ".5", "1e", "+1", "tru", "nul", "[1] x", "\"a\u{1}b\"", #""\x""#, #""\ud800""#,
                #""\udc00""#, #""\u12""#, "\"open", "1e999", "{1:2}", "NaN",
            ]
            var samples = texts.map { Array($0.utf8) }
            samples += [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22]]  // not UTF-8
            // The same faults after an escape, where the text is read in runs.
            samples += [Array(#""a\nb"#.utf8) + [0x01, 0x22], Array(#""a\nb"#.utf8) + [0xFF, 0x22], Array(#""a\nbc"#.utf8)]
            let depth = JSONValue.maximumDepth
            samples.append(Array(repeating: UInt8(ascii: "["), count: depth + 1) + Array(repeating: UInt8(ascii: "]"), count: depth + 1))
            for sample in samples {
                #expect(throws: JSONValue.ParseError.self, "\(String(decoding: sample, as: UTF8.self))") { try JSONValue(parsing: sample) }
                #expect(!JSONValue.isValid(sample), "checked without building: \(String(decoding: sample, as: UTF8.self))")
            }
            #expect(JSONValue.isValid(Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)))
            let nested = Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)
            #expect(throws: Never.self) { try JSONValue(parsing: nested) }
            #expect(throws: JSONValue.ParseError(offset: 5, reason: "expected ',' or ']'")) { try JSONValue(parsing: Array("[1,2 3]".utf8)) }
        }

        @Test("an object written with JSON bytes spliced in is the object with that member, keys still sorted")
        func splicedObject() throws {
            let members: [String: JSONValue] = ["b": 1, "d": ["x": true], "f": "last"]
            let spliced: JSONValue = ["answer": "a \"quoted\"\nline", "sources": [["score": 0.5]]]
            for key in ["a", "c", "e", "g", "d"] {
                var bytes: [UInt8] = []
                JSONValue.writeObject(members, splicing: (key, spliced.jsonBytes), to: &bytes)
                var expected = members
                expected[key] = spliced
                #expect(bytes == JSONValue.object(expected).jsonBytes, "\(key): \(String(decoding: bytes, as: UTF8.self))")
            }
            var empty: [UInt8] = []
            JSONValue.writeObject([:], splicing: ("only", Array("[1, 2]".utf8)), to: &empty)
            #expect(String(decoding: empty, as: UTF8.self) == #"{"only":[1, 2]}"#)
        }

        @Test("the writer escapes quotes, backslashes and control characters, and keeps the rest as UTF-8")
        func writer() throws {
            let text = "a\"b\\c\u{1}\u{1F}\té/"
            let written = String(decoding: JSONValue.string(text).jsonBytes, as: UTF8.self)
            #expect(written == #""a\"b\\c\u0001\u001f\té/""#)
            #expect(try JSONDecoder().decode(String.self, from: Data(written.utf8)) == text)
            #expect(JSONValue.number(.infinity).description == "null")
            // Escapes first, last, alone and none at all: the runs between them are copied whole.
            for edge in ["", "\"", "\n\n", "x\n", "\nx", "plain text", "é\u{7}é"] {
                let bytes = JSONValue.string(edge).jsonBytes
                #expect(try JSONDecoder().decode(String.self, from: Data(bytes)) == edge, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
