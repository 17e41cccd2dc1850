import Foundation
import Testing

@testable import RAGQueue

/// The one query contract: what `RAGQuery(json:)` reads, what `validated(by:)` accepts and fills
/// in, and what `json` writes. The API, the CLI and the worker all go through these.
@Suite("Query contract")
struct QueryContractTests {
    static func read(_ text: String) throws(QueryValidationError) -> RAGQuery {
        try RAGQuery(json: Array(text.utf8))
    }

    @Test("a bare question gets the rules' defaults; the wire shape round-trips")
    func defaultsAndRoundTrip() throws {
        var rules = QueryRules()
        rules.defaultCollection = "docs"
        rules.defaultTopK = 6
        let bare = try Self.read(#"{"query":"  What is a lease?\n"}"#).validated(by: rules)
        #expect(bare == RAGQuery(query: "What is a lease?", collection: "docs", topK: 6, priority: 5))
        let full = RAGQuery(
            query: "q", collection: "c", topK: 7, filter: ["metadata.source": "a.pdf", "metadata.page": [1, 2]], stream: true,
            callbackURL: "https://hooks.example.com/x", priority: 9
        )
        #expect(try RAGQuery(json: full.json) == full)
        #expect(String(decoding: bare.json, as: UTF8.self) == #"{"collection":"docs","priority":5,"query":"What is a lease?","stream":false,"top_k":6}"#)
    }

    @Test("an unknown field is refused, naming it and the field it was likely meant to be")
    func unknownField() {
        #expect {
            try Self.read(#"{"query":"x","colection":"typo"}"#)
        } throws: { error in
            guard let error = error as? QueryValidationError else { return false }
            return error.field == "colection" && error.message.contains("did you mean `collection`") && !error.isMalformed
        }
    }

    @Test("what is not JSON is malformed; JSON that breaks the contract names the field", arguments: [
        (#"{"#, nil), (#"not json"#, nil), (#"[]"#, ""), (#"{}"#, "query"), (#"{"query":null}"#, "query"), (#"{"query":5}"#, "query"),
        (#"{"query":"q","top_k":4.5}"#, "top_k"), (#"{"query":"q","top_k":"five"}"#, "top_k"), (#"{"query":"q","stream":"yes"}"#, "stream"),
        (#"{"query":"q","filter":[1]}"#, "filter"),
    ] as [(String, String?)])
    func shapes(body: String, field: String?) {
        do {
            _ = try Self.read(body)
            Issue.record("\(body) was accepted")
        } catch {
            #expect(error.isMalformed == (field == nil), "\(body)")
            if let field, !field.isEmpty { #expect(error.field == field, "\(body)") }
        }
    }

    @Test("ranges and names follow the rules", arguments: [
        #"{"query":"   "}"#, #"{"query":"q","top_k":0}"#, #"{"query":"q","top_k":21}"#, #"{"query":"q","collection":""}"#,
        #"{"query":"q","collection":"a/b"}"#, #"{"query":"q","filter":{"a":{"b":1}}}"#, #"{"query":"q","filter":{"a":[]}}"#,
        #"{"query":"q","filter":{"a":[{"b":1}]}}"#, #"{"query":"q","callback_url":"file:///etc/passwd"}"#,
        #"{"query":"q","callback_url":"https://user:pw@hooks.example.com/"}"#, #"{"query":"q","callback_url":"not a url"}"#,
        #"{"query":"q","priority":10}"#, #"{"query":"q","priority":-1}"#,
    ])
    func outOfRules(body: String) throws {
        let query = try Self.read(body)
        #expect(throws: QueryValidationError.self) { try query.validated(by: QueryRules()) }
    }

    @Test("a question longer than the rules allow is refused; one at the limit passes")
    func questionLength() throws {
        var rules = QueryRules()
        rules.maxQuestionLength = 10
        #expect(throws: QueryValidationError.self) { try RAGQuery(query: String(repeating: "a", count: 11)).validated(by: rules) }
        #expect(try RAGQuery(query: String(repeating: "a", count: 10)).validated(by: rules).query.count == 10)
    }

    @Test("filters take scalars and lists of them; whole numbers become integers")
    func filters() throws {
        let query = try Self.read(#"{"query":"q","filter":{"metadata.page":3.0,"tags":["a",2,true],"flag":false}}"#).validated(by: QueryRules())
        #expect(query.filter == ["metadata.page": .integer(3), "tags": ["a", 2, true], "flag": false])
        #expect(RAGPipeline.payloadFilter(query.filter) == .all([
            .match(key: "flag", value: false), .match(key: "metadata.page", value: 3), .matchAny(key: "tags", values: ["a", 2, true]),
        ]))
        #expect(RAGPipeline.payloadFilter([:]) == nil)
    }

    @Test("the collection rule is one rule for queries, ingestion and the configuration", arguments: ["ok_name-1.v2", "a/b", "", "has space"])
    func collectionNames(name: String) {
        let valid = (try? CollectionName.check(name)) != nil
        #expect(valid == (name == "ok_name-1.v2"))
        #expect(valid == ((try? RAGQuery(query: "q", collection: name).validated(by: QueryRules())) != nil))
    }
}
