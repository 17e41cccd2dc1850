import Foundation

/// Where the simulator's report goes: standard output, one line at a time, each written when it is
/// made, also to a file or a pipe (a CI log), where buffered output would wait for the exit and a
/// long run would look hung. A closed output (a pipe whose reader left) is not an error.
public enum Console {
    /// Writes `text` and a newline.
    public static func line(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    }
}
