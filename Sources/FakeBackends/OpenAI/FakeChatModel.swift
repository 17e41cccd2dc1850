/// The fake's chat model: the answer is a pure function of the messages.
///
/// `Fake answer to: <last user message> (see page 3, 7) [ctx <8 hex of sha256(system prompt)>]`,
/// where the pages are the `Page Number:` values found in the messages, in order of first
/// appearance, so a test can tell that retrieval reached the prompt. Without pages the
/// `(see page …)` part is left out.
public enum FakeChatModel {
    /// One chat message: its role and its text (parts joined).
    public struct Message: Sendable, Hashable {
        /// `system`, `developer`, `user`, `assistant` or `tool`.
        public var role: String
        /// The text content.
        public var content: String

        /// A message.
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// The answer to `messages`.
    public static func answer(to messages: [Message]) -> String {
        let question = messages.last(where: { $0.role == "user" })?.content ?? ""
        let system = messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content).joined(separator: "\n")
        let tag = String(SHA256Hex.of(system).prefix(8))
        let pages = pageNumbers(in: messages)
        let pagePart = pages.isEmpty ? "" : " (see page \(pages.joined(separator: ", ")))"
        return "Fake answer to: \(question)\(pagePart) [ctx \(tag)]"
    }

    /// The distinct `Page Number:` values in the messages, in order; `N/A` and blanks skipped.
    public static func pageNumbers(in messages: [Message]) -> [String] {
        var pages = [String]()
        let prefix = "Page Number:".unicodeScalars
        for message in messages {
            // By Unicode scalars, not Characters: a prompt carries kilobytes of context, and
            // grapheme breaking took most of the fake chat's time. The separators are
            // `Character.isNewline`'s.
            let lines = message.content.unicodeScalars.split(omittingEmptySubsequences: true) { scalar in
                (0x0A...0x0D).contains(scalar.value) || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029
            }
            for line in lines {
                let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
                guard trimmed.starts(with: prefix) else { continue }
                let value = String(String.UnicodeScalarView(trimmed.dropFirst(prefix.count))).trimmingSpaces
                if value.isEmpty || value == "N/A" || pages.contains(value) { continue }
                pages.append(value)
            }
        }
        return pages
    }

    /// The answer cut into tokens: each word with the spaces after it. They concatenate to the
    /// answer exactly; a stream sends one per chunk.
    public static func tokens(of text: String) -> [String] {
        var tokens = [String]()
        var current = ""
        var inSpace = false
        for character in text {
            let isSpace = character.isWhitespace
            if !isSpace && inSpace {
                tokens.append(current)
                current = ""
            }
            current.append(character)
            inSpace = isSpace
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// `usage.prompt_tokens` of `messages`: ceil(UTF-8 bytes / 4) plus 4 per message, plus 3.
    public static func promptTokens(of messages: [Message]) -> Int {
        messages.reduce(3) { $0 + ($1.content.utf8.count + 3) / 4 + 4 }
    }
}
