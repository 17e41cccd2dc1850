/// The queue's circuit breaker for its backends, shared by every worker through the store.
///
/// Workers report outage-like failures (HTTP 5xx, timeouts, broken connections; not 429s, which
/// provider pacing handles, nor errors that belong to one job). `threshold` of them within `window`
/// open the circuit for `openFor`: no worker claims, and jobs that fail while it is open are handed
/// back without spending an attempt. When the time is up the circuit is half-open: claims take one
/// job at a time, a failure opens it again for twice as long (up to `maximumOpen`), and the first
/// job that finishes closes it. So a backend outage delays jobs instead of failing them.
public struct CircuitPolicy: Sendable, Hashable {
    /// Failures within `window` that open the circuit. Default 5.
    public var threshold: Int = 5
    /// How far back failures count. Default 10 s.
    public var window: Duration = .seconds(10)
    /// How long the circuit stays open the first time. Default 2 s.
    public var openFor: Duration = .seconds(2)
    /// The longest it stays open, doubling from `openFor` on each failed probe. Default 30 s.
    public var maximumOpen: Duration = .seconds(30)
    /// Outage failures a job may have without spending attempts: each is retried with backoff and
    /// its attempt given back, up to this many per job (so a job that alone always meets a 5xx
    /// still ends). Default 20.
    public var maximumRefunds: Int = 20

    /// The defaults.
    public init() {}

    /// How long the circuit opens on its `trip`th opening in a row (1-based).
    public func openLength(trip: Int) -> Duration {
        let doubled = openFor.milliseconds << Int64(min(max(trip - 1, 0), 20))
        return .milliseconds(min(doubled, maximumOpen.milliseconds))
    }
}

/// The circuit as a report left it.
public struct CircuitState: Sendable, Hashable {
    /// Until when no worker claims (ms since the epoch); 0 or past: claims go on.
    public var openUntilMilliseconds: Int64
    /// Openings since it was last closed; above 0 it is open or half-open.
    public var trips: Int

    /// Whether claims are stopped at `now`.
    public func isOpen(at now: Int64) -> Bool { openUntilMilliseconds > now }
}
