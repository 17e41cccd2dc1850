import Testing

@testable import RAGQueue

extension PipelineTests {
    @Suite("Prompt building")
    struct PromptBuilderTests {
        static func hit(_ text: String, page: Int?, label: String?, source: String?) -> ScoredPoint {
            var metadata: [String: JSONValue] = [:]
            if let page { metadata["page"] = .integer(page) }
            if let label { metadata["page_label"] = .string(label) }
            if let source { metadata["source"] = .string(source) }
            return ScoredPoint(id: .integer(1), score: 0.9, payload: ["page_content": .string(text), "metadata": .object(metadata)])
        }

        @Test("blocks are the seed's three lines joined by ---")
        func blocks() {
            let hits = [
                Self.hit("Alpha text.", page: 2, label: "3", source: "book.pdf"),
                Self.hit("Beta text.", page: nil, label: nil, source: nil),
            ]
            let context = PromptBuilder().context(hits)
            #expect(context == """
                Page Content: Alpha text.
                Page Number: 3
                File Location: book.pdf

                ---

                Page Content: Beta text.
                Page Number: N/A
                File Location: N/A
                """)
        }

        @Test("page numbering: label by default, 0-based index as the seed on request")
        func numbering() {
            let labelled = Self.hit("x", page: 4, label: "v", source: "a.pdf")
            let indexOnly = Self.hit("x", page: 4, label: nil, source: "a.pdf")
            #expect(PromptBuilder().pageText(labelled) == "v")
            #expect(PromptBuilder().pageText(indexOnly) == "5")
            #expect(PromptBuilder(pageNumbering: .index).pageText(labelled) == "4")
            #expect(PromptBuilder(pageNumbering: .index).pageText(indexOnly) == "4")
        }

        @Test("system prompt carries the instructions and ends with the context; the question is the user message")
        func messages() {
            let hits = [Self.hit("Gamma.", page: 0, label: "1", source: "g.txt")]
            let messages = PromptBuilder().messages(question: "What is gamma?", hits: hits)
            #expect(messages.count == 2)
            #expect(messages[0].role == .system)
            #expect(messages[1] == .user("What is gamma?"))
            let system = messages[0].content
            #expect(system.contains("Instructions:"))
            #expect(system.contains("I don't have enough information to answer that"))
            #expect(system.hasSuffix("Context:\nPage Content: Gamma.\nPage Number: 1\nFile Location: g.txt"))
        }
    }
}
