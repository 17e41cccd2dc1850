import Foundation
import Tracing

/// A W3C trace context: the trace a span belongs to, the span's own id, and whether the trace is
/// sampled. Carried between processes as a `traceparent` value:
/// `00-<32 hex digits: trace id>-<16 hex digits: span id>-<2 hex digits: flags>`.
public struct TraceContext: Sendable, Hashable {
    /// 16 bytes, never all zero.
    public var traceID: [UInt8]
    /// 8 bytes, never all zero.
    public var spanID: [UInt8]
    /// The `sampled` flag: spans of the trace are recorded and exported.
    public var sampled: Bool

    /// A context of these ids.
    public init(traceID: [UInt8], spanID: [UInt8], sampled: Bool) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
    }

    /// The context in a `traceparent` value, or nil when it is not one (wrong shape, version `ff`,
    /// ids of zeros). A later version's value is read by its first four fields, as the
    /// recommendation says.
    public init?(traceparent value: String) {
        let fields = value.trimmingWhitespace.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].count == 2, fields[0] != "ff", fields[1].count == 32, fields[2].count == 16, fields[3].count == 2,
              fields[0] != "00" || fields.count == 4,
              [UInt8](hex: fields[0]) != nil,
              let traceID = [UInt8](hex: fields[1]), let spanID = [UInt8](hex: fields[2]), let flags = [UInt8](hex: fields[3]),
              traceID.contains(where: { $0 != 0 }), spanID.contains(where: { $0 != 0 })
        else { return nil }
        self.init(traceID: traceID, spanID: spanID, sampled: flags[0] & 1 == 1)
    }

    /// The `traceparent` value (version 00).
    public var traceparent: String {
        "00-\(traceID.lowercaseHex)-\(spanID.lowercaseHex)-\(sampled ? "01" : "00")"
    }

    /// A new trace's id: 16 random bytes.
    static func newTraceID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).flatMap { _ in Self.bytes(of: generator.next(upperBound: UInt64.max) + 1) }
    }

    /// A new span's id: 8 random bytes, not all zero.
    static func newSpanID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return Self.bytes(of: generator.next(upperBound: UInt64.max) + 1)
    }

    private static func bytes(of value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }
}

/// Where a span's trace context sits in an `InstrumentationContext`.
enum TraceContextKey: InstrumentationContextKey {
    typealias Value = TraceContext
    static let nameOverride: String? = "w3c-trace-context"
}

extension InstrumentationContext {
    /// The trace context of the current span (or of a remote parent just extracted).
    public var traceContext: TraceContext? {
        get { self[TraceContextKey.self] }
        set { self[TraceContextKey.self] = newValue }
    }
}

/// Reads and writes string dictionaries, the carrier of a job's trace context.
public struct DictionaryCarrier: Extractor, Injector {
    public init() {}

    public func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }

    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

extension InstrumentationContext {
    /// The `traceparent` of this context's span through the bootstrapped instrument; nil when no
    /// tracer is set up or no span is current.
    public var traceparent: String? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(self, into: &carrier, using: DictionaryCarrier())
        return carrier["traceparent"]
    }

    /// A top-level context continuing the trace of `traceparent`, through the bootstrapped instrument.
    public static func continuing(_ traceparent: String?) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        if let traceparent {
            InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &context, using: DictionaryCarrier())
        }
        return context
    }
}
