/// Builds the chat messages of a RAG question the way the seed's worker did (PROTOCOLS §0.3).
///
/// Each retrieved chunk becomes a block of three lines, blocks joined by `\n\n---\n\n`:
/// ```
/// Page Content: <chunk text>
/// Page Number: <page>
/// File Location: <metadata.source or N/A>
/// ```
/// The blocks close a system prompt (role, instructions, `Context:`); the question is the user message.
/// Unlike the seed's f-string, lines carry no leading indentation.
public struct PromptBuilder: Sendable, Hashable {
    /// What the `Page Number:` line shows.
    public enum PageNumbering: String, Sendable, Hashable, CaseIterable {
        /// The printed label (`metadata.page_label`), else `metadata.page + 1`: what a reader finds
        /// on the page. The default, and the course pattern's choice.
        case label
        /// The loader's 0-based `metadata.page`, exactly as the seed printed it (one less than printed).
        case index
    }

    /// The prompt's version: change it with the prompt's text, and cached answers written from the
    /// old text stop answering (`AnswerCachePolicy`).
    public static let version = "1"

    /// The separator between context blocks.
    public static let blockSeparator = "\n\n---\n\n"
    /// The sentence the model is told to say when the context lacks the answer.
    public static let noAnswer = "I don't have enough information to answer that"

    /// What the `Page Number:` line shows. Default `.label`.
    public var pageNumbering: PageNumbering

    /// A builder numbering pages as `pageNumbering` says.
    public init(pageNumbering: PageNumbering = .label) {
        self.pageNumbering = pageNumbering
    }

    /// The system message, then the question as the user message.
    public func messages(question: String, hits: [ScoredPoint]) -> [ChatMessage] {
        [.system(systemPrompt(context: context(hits))), .user(question)]
    }

    /// The system prompt around the joined context blocks.
    public func systemPrompt(context: String) -> String {
        """
        You are a helpful AI assistant who answers questions using the context below, extracted from documents.

        Instructions:
        - Answer ONLY from the provided context
        - If the answer is not in the context, say "\(Self.noAnswer)"
        - Reference the page number where the information is found
        - Be concise and accurate

        Context:
        \(context)
        """
    }

    /// The hits' blocks joined by `\n\n---\n\n`.
    public func context(_ hits: [ScoredPoint]) -> String {
        hits.map(block).joined(separator: Self.blockSeparator)
    }

    /// One hit's three lines.
    public func block(_ hit: ScoredPoint) -> String {
        "Page Content: \(hit.pageContent ?? "")\nPage Number: \(pageText(hit) ?? "N/A")\nFile Location: \(hit.source ?? "N/A")"
    }

    /// The text of the `Page Number:` line, or nil when the chunk has no page.
    public func pageText(_ hit: ScoredPoint) -> String? {
        switch pageNumbering {
        case .label:
            if let label = hit.pageLabel, !label.isEmpty { return label }
            return hit.page.map { String($0 + 1) }
        case .index:
            return hit.page.map(String.init) ?? hit.pageLabel
        }
    }
}
