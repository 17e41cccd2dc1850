extension StringProtocol {
    /// The text without leading and trailing whitespace (Unicode's White_Space, newlines included:
    /// the characters of Foundation's `.whitespacesAndNewlines`). Read from both ends in Swift:
    /// Foundation's `trimmingCharacters(in:)` went through `NSString` and cost a worker about 1 % of
    /// its CPU on one question a job.
    public var trimmingWhitespace: SubSequence {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return self[endIndex...] }
        let last = lastIndex(where: { !$0.isWhitespace }) ?? first
        return self[first...last]
    }
}
