/// Cuts text into chunks of at most `chunkSize` characters, preferring paragraph, then line, then
/// sentence, then word boundaries, with about `chunkOverlap` characters repeated between neighbours.
///
/// It follows langchain's `RecursiveCharacterTextSplitter`: split at the coarsest boundary that
/// yields pieces short enough (recursing into pieces that are not), then merge neighbouring pieces
/// greedily up to `chunkSize`, starting each chunk with the previous one's trailing pieces that fit
/// in `chunkOverlap`. Lengths count characters (grapheme clusters). Chunks are trimmed of white space.
public struct TextChunker: Sendable, Hashable {
    /// Longest chunk, in characters. Default 1,000.
    public var chunkSize: Int
    /// Most characters repeated from the end of one chunk at the start of the next. Default 200.
    public var chunkOverlap: Int

    /// A chunker; `chunkSize` is at least 1 and `chunkOverlap` is kept below it.
    public init(chunkSize: Int = 1000, chunkOverlap: Int = 200) {
        self.chunkSize = max(1, chunkSize)
        self.chunkOverlap = min(max(0, chunkOverlap), self.chunkSize - 1)
    }

    /// The chunks of `text`, in order; none for blank text.
    public func chunks(of text: String) -> [String] {
        let pieces = split(Substring(text), level: 0)
        return merge(pieces)
    }

    // MARK: Splitting

    /// Boundaries from coarse to fine. Each piece keeps its separator at its end, so pieces
    /// concatenate back to the text.
    private enum Boundary: CaseIterable {
        case paragraph, line, sentence, word

        func split(_ text: Substring) -> [Substring] {
            var pieces: [Substring] = []
            var start = text.startIndex
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(after: index)
                if let end = boundaryEnd(in: text, at: index, next: next) {
                    pieces.append(text[start..<end])
                    start = end
                    index = end
                } else {
                    index = next
                }
            }
            if start < text.endIndex { pieces.append(text[start...]) }
            return pieces
        }

        /// Where a piece ends if a boundary starts at `index` (after its run of white space).
        private func boundaryEnd(in text: Substring, at index: Substring.Index, next: Substring.Index) -> Substring.Index? {
            let character = text[index]
            switch self {
            case .paragraph:
                guard character.isNewline, next < text.endIndex else { return nil }
                var cursor = next
                var sawSecondNewline = false
                while cursor < text.endIndex, text[cursor].isWhitespace {
                    if text[cursor].isNewline { sawSecondNewline = true }
                    cursor = text.index(after: cursor)
                }
                return sawSecondNewline ? cursor : nil
            case .line:
                guard character.isNewline else { return nil }
                return Self.skipSpaces(text, from: next)
            case .sentence:
                guard character == "." || character == "!" || character == "?" || character == "…",
                      next < text.endIndex, text[next].isWhitespace
                else { return nil }
                return Self.skipSpaces(text, from: next)
            case .word:
                guard character.isWhitespace else { return nil }
                return Self.skipSpaces(text, from: next)
            }
        }

        private static func skipSpaces(_ text: Substring, from start: Substring.Index) -> Substring.Index {
            var cursor = start
            while cursor < text.endIndex, text[cursor].isWhitespace { cursor = text.index(after: cursor) }
            return cursor
        }
    }

    /// Pieces no longer than `chunkSize`, split at the coarsest boundary that works.
    private func split(_ text: Substring, level: Int) -> [Substring] {
        if text.count <= chunkSize { return [text] }
        let boundaries = Boundary.allCases
        guard level < boundaries.count else {
            // No boundary left: cut hard.
            var pieces: [Substring] = []
            var start = text.startIndex
            while start < text.endIndex {
                let end = text.index(start, offsetBy: chunkSize, limitedBy: text.endIndex) ?? text.endIndex
                pieces.append(text[start..<end])
                start = end
            }
            return pieces
        }
        let parts = boundaries[level].split(text)
        if parts.count <= 1 { return split(text, level: level + 1) }
        return parts.flatMap { $0.count <= chunkSize ? [$0] : split($0, level: level + 1) }
    }

    // MARK: Merging

    private func merge(_ pieces: [Substring]) -> [String] {
        var chunks: [String] = []
        var window: [Substring] = []
        var length = 0
        func emit() {
            let text = Self.trimmed(window.joined())
            if !text.isEmpty { chunks.append(text) }
        }
        for piece in pieces {
            let pieceLength = piece.count
            if length + pieceLength > chunkSize, !window.isEmpty {
                emit()
                // Keep the tail that fits in the overlap and leaves room for the new piece.
                while let first = window.first, length > chunkOverlap || length + pieceLength > chunkSize {
                    length -= first.count
                    window.removeFirst()
                }
            }
            window.append(piece)
            length += pieceLength
        }
        if !window.isEmpty { emit() }
        return chunks
    }

    private static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
