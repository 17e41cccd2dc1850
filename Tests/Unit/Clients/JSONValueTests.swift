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
    }
}
