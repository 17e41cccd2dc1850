import Foundation

/// The time that the queue writes into Valkey: one seam, so tests can move time.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public func nowMilliseconds() -> Int64 { Date().epochMilliseconds }
}
