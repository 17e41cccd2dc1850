import Synchronization
import Tracing

/// A span that ended, as the exporter sends it.
public struct FinishedSpan: Sendable {
    public var name: String
    public var context: TraceContext
    public var parentSpanID: [UInt8]?
    public var kind: SpanKind
    public var startNanoseconds: UInt64
    public var endNanoseconds: UInt64
    public var attributes: SpanAttributes
    public var events: [SpanEvent]
    public var status: SpanStatus?
}

/// The tracer of `ragserve` processes (swift-distributed-tracing's `Tracer`): W3C trace context
/// in and out (`traceparent`), spans handed to an `OTLPExporter` when they end.
///
/// A new trace is sampled by `sampler`; a span with a parent follows its parent's decision (the
/// `parentbased_*` samplers of OpenTelemetry), so one query's spans are kept or dropped together,
/// across the API and the worker.
public final class OTLPTracer: Tracer {
    public typealias Span = OTLPSpan

    /// Which new traces are recorded.
    public enum Sampler: Sendable, Hashable {
        /// Every trace.
        case always
        /// None.
        case never
        /// This fraction of traces, decided by the trace id (the same decision in every process).
        case ratio(Double)

        func samples(_ traceID: [UInt8]) -> Bool {
            switch self {
            case .always: return true
            case .never: return false
            case .ratio(let ratio):
                // The last 7 bytes as a number below 2^56, compared with ratio * 2^56.
                let value = traceID.suffix(7).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                return Double(value) < ratio * Double(UInt64(1) << 56)
            }
        }
    }

    let sampler: Sampler
    let exporter: OTLPExporter

    /// A tracer sampling new traces by `sampler` and handing ended spans to `exporter`.
    public init(sampler: Sampler = .always, exporter: OTLPExporter) {
        self.sampler = sampler
        self.exporter = exporter
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> OTLPSpan {
        var context = context()
        let parent = context.traceContext
        let traceID = parent?.traceID ?? TraceContext.newTraceID()
        let own = TraceContext(traceID: traceID, spanID: TraceContext.newSpanID(), sampled: parent?.sampled ?? sampler.samples(traceID))
        context.traceContext = own
        let exporter = self.exporter
        return OTLPSpan(
            name: operationName, context: context, parentSpanID: parent?.spanID, kind: kind,
            start: instant().nanosecondsSinceEpoch, recording: own.sampled
        ) { exporter.add($0) }
    }

    public func forceFlush() {
        exporter.flushSoon()
    }

    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        if let value = extractor.extract(key: "traceparent", from: carrier), let remote = TraceContext(traceparent: value) {
            context.traceContext = remote
        }
    }

    public func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        if let own = context.traceContext { injector.inject(own.traceparent, forKey: "traceparent", into: &carrier) }
    }
}

/// One span of an `OTLPTracer`: its name, attributes, events and status change until it ends,
/// then it is handed over once. An unsampled span records nothing.
public final class OTLPSpan: Span {
    public let context: InstrumentationContext
    private let parentSpanID: [UInt8]?
    private let kind: SpanKind
    private let start: UInt64
    private let onEnd: @Sendable (FinishedSpan) -> Void
    private struct State {
        var name: String
        var attributes: SpanAttributes = [:]
        var events: [SpanEvent] = []
        var status: SpanStatus?
        var recording: Bool
    }
    private let state: Mutex<State>

    init(
        name: String, context: InstrumentationContext, parentSpanID: [UInt8]?, kind: SpanKind, start: UInt64, recording: Bool,
        onEnd: @escaping @Sendable (FinishedSpan) -> Void
    ) {
        self.context = context
        self.parentSpanID = parentSpanID
        self.kind = kind
        self.start = start
        self.onEnd = onEnd
        self.state = Mutex(State(name: name, recording: recording))
    }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { if $0.recording { $0.name = newValue } } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { if $0.recording { $0.attributes = newValue } } }
    }

    public var isRecording: Bool { state.withLock { $0.recording } }

    public func setStatus(_ status: SpanStatus) {
        state.withLock { if $0.recording { $0.status = status } }
    }

    public func addEvent(_ event: SpanEvent) {
        state.withLock { if $0.recording { $0.events.append(event) } }
    }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        var attributes = attributes
        attributes["exception.type"] = String(describing: type(of: error))
        attributes["exception.message"] = String(describing: error)
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: attributes))
    }

    public func addLink(_ link: SpanLink) {}

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let ended: FinishedSpan? = state.withLock { state in
            guard state.recording, let own = context.traceContext else { return nil }
            state.recording = false
            return FinishedSpan(
                name: state.name, context: own, parentSpanID: parentSpanID, kind: kind, startNanoseconds: start,
                endNanoseconds: instant().nanosecondsSinceEpoch, attributes: state.attributes, events: state.events, status: state.status
            )
        }
        if let ended { onEnd(ended) }
    }
}

extension DefaultTracerClock.Timestamp {
    /// The instant `milliseconds` after the epoch (a time the queue recorded).
    public static func epoch(milliseconds: Int64) -> Self {
        Self(nanosecondsSinceEpoch: UInt64(max(0, milliseconds)) * 1_000_000)
    }
}
