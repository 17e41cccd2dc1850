/// One entry of a job's token stream: a streamed answer as the worker writes it (`docs/streaming.md`).
public struct TokenEntry: Sendable, Hashable {
    /// What an entry says.
    public enum Kind: Sendable, Hashable {
        /// An attempt starts (1, 2, ...): readers drop the text they collected so far.
        case attempt(Int)
        /// The next piece of the answer (never empty).
        case text(String)
        /// The answer is complete, with the model's finish reason (`stop`, `length`, ...).
        case end(finishReason: String)
        /// The attempt failed with the job failure's code and message; `final` when no attempt follows.
        case error(code: String, message: String, final: Bool)
    }

    /// The entry's id in the stream, `<milliseconds>-<sequence>`: the cursor to read on from.
    public var id: String
    /// What it says.
    public var kind: Kind

    /// An entry with its id.
    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// Whether nothing follows this entry: the answer ended, or the last attempt failed.
    public var isLast: Bool {
        switch kind {
        case .end: true
        case .error(_, _, let final): final
        case .attempt, .text: false
        }
    }

    /// `text` when it is a stream entry id as the stream hands them out (`<milliseconds>-<sequence>`,
    /// both decimal); nil for anything else. Readers accept only such cursors.
    public static func cursor(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } && UInt64($0) != nil })
        else { return nil }
        return text
    }
}

extension TokenEntry.Kind {
    /// The stream's field/value pairs of this entry, in order.
    var fields: [String] {
        switch self {
        case .attempt(let attempt): ["attempt", String(attempt)]
        case .text(let text): ["text", text]
        case .end(let reason): ["end", reason]
        case .error(let code, let message, let final): ["error", code, "message", message, "final", final ? "1" : "0"]
        }
    }

    /// The entry that `fields` (name/value pairs) spells; nil for anything else.
    init?(fields: [String: String]) {
        if let attempt = fields["attempt"].flatMap({ Int($0) }) {
            self = .attempt(attempt)
        } else if let text = fields["text"] {
            self = .text(text)
        } else if let reason = fields["end"] {
            self = .end(finishReason: reason)
        } else if let code = fields["error"] {
            self = .error(code: code, message: fields["message"] ?? "", final: fields["final"] == "1")
        } else {
            return nil
        }
    }
}
