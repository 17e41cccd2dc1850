import Foundation

/// The worker counts a simulation steps through, parsed from `N`, `A...B`, `A..<B` or `A,B,C`.
public struct WorkerCounts: Sendable, Hashable, CustomStringConvertible {
    /// The counts in the order given, each positive.
    public let values: [Int]
    /// The text they were parsed from, for the scenario record.
    public let description: String

    /// Most worker processes one step may start.
    static let maximum = 256

    /// Parses `text`; throws a message naming `flag` and the accepted forms.
    public init(_ text: String, flag: String = "--workers") throws(SimulationError) {
        let trimmed = text.trimmingSpaces
        let usage = "\(flag) takes N, A...B, A..<B or A,B,C with whole numbers from 1 to \(Self.maximum), got '\(text)'"
        var values: [Int]
        if let range = trimmed.range(of: "..<") {
            guard let low = Int(trimmed[..<range.lowerBound].trimmingSpaces), let high = Int(trimmed[range.upperBound...].trimmingSpaces),
                  low < high
            else { throw SimulationError(usage) }
            values = Array(low..<high)
        } else if let range = trimmed.range(of: "...") {
            guard let low = Int(trimmed[..<range.lowerBound].trimmingSpaces), let high = Int(trimmed[range.upperBound...].trimmingSpaces),
                  low <= high
            else { throw SimulationError(usage) }
            values = Array(low...high)
        } else {
            let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            values = parts.compactMap { Int($0) }
            guard !parts.isEmpty, values.count == parts.count else { throw SimulationError(usage) }
        }
        guard !values.isEmpty, values.allSatisfy({ (1...Self.maximum).contains($0) }) else { throw SimulationError(usage) }
        self.values = values
        self.description = trimmed
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
