import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

/// Sends ended spans to an OpenTelemetry collector over OTLP/HTTP with JSON bodies (`POST
/// <endpoint>`, `application/json`), in batches: every `scheduleDelay`, or sooner when a batch
/// fills. Spans beyond `maxQueueSize` waiting are dropped and counted, never blocking the caller;
/// a graceful shutdown sends what is left. Its own HTTP client (libcurl) stops after that.
public final class OTLPExporter: Service, Sendable {
    /// Where and how spans go.
    public let configuration: TracingConfiguration
    private let client: CurlHTTPClient
    /// Every export's headers: JSON, and the configured ones.
    private let headers: HTTPClientHeaders
    private let logger: Logger
    private struct State {
        var queue: [FinishedSpan] = []
        var dropped = 0
        var flush = false
        /// Batches lost since the last export that worked.
        var failedBatches = 0
    }
    private let state = Mutex(State())

    /// An exporter for `configuration`.
    public init(configuration: TracingConfiguration, logger: Logger) throws {
        self.configuration = configuration
        var http = CurlHTTPClient.Configuration()
        http.timeout = configuration.exportTimeout
        self.client = try CurlHTTPClient(configuration: http, logger: logger)
        var headers: HTTPClientHeaders = ["Content-Type": "application/json"]
        for (name, value) in configuration.headers { headers.replaceOrAdd(name: name, value: value) }
        self.headers = headers
        self.logger = logger
    }

    /// Sets up tracing for this process from `environment` (see `TracingConfiguration`): bootstraps
    /// an `OTLPTracer` and returns its exporter, a service to run before (so it stops after) the
    /// process's others; nil when tracing is off. Call once per process.
    public static func bootstrap(environment: [String: String], serviceName: String, logger: Logger) throws -> OTLPExporter? {
        guard let configuration = try TracingConfiguration.from(environment: environment, serviceName: serviceName) else { return nil }
        let exporter = try OTLPExporter(configuration: configuration, logger: logger)
        InstrumentationSystem.bootstrap(OTLPTracer(sampler: configuration.sampler, exporter: exporter))
        logger.info("tracing", metadata: ["otlp.endpoint": .string(configuration.endpoint), "service.name": .string(configuration.resource["service.name"] ?? "")])
        return exporter
    }

    /// Queues an ended span.
    func add(_ span: FinishedSpan) {
        state.withLock { state in
            if state.queue.count < configuration.maxQueueSize {
                state.queue.append(span)
            } else {
                state.dropped += 1
            }
        }
    }

    /// Sends what waits without waiting for the schedule.
    func flushSoon() {
        state.withLock { $0.flush = true }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await sleep()
                await export()
            }
        } onGracefulShutdown: {
            self.flushSoon()
        }
        // What ended before the shutdown goes out, then the client stops (not as a service of its
        // own: it would stop with the shutdown, before this last export).
        await export()
        await client.shutdown()
    }

    /// Returns after the schedule's delay, or sooner once a batch is full or a flush is asked for
    /// (looked at every 50 ms: nothing to wake, nothing to lose).
    private func sleep() async {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.scheduleDelay
        while clock.now < deadline && !Task.isCancelled && !Task.isShuttingDownGracefully {
            let ready = state.withLock { state in
                defer { state.flush = false }
                return state.flush || state.queue.count >= configuration.maxExportBatchSize
            }
            if ready { return }
            try? await Task.sleep(for: min(.milliseconds(50), deadline - clock.now))
        }
    }

    /// Sends every queued span, a batch per request; a failed request's spans are dropped (the
    /// collector may be away: tracing never holds the queue's work back). The first failure is
    /// logged, then every hundredth, and the recovery.
    func export() async {
        while true {
            let (batch, dropped): ([FinishedSpan], Int) = state.withLock { state in
                let batch = Array(state.queue.prefix(configuration.maxExportBatchSize))
                state.queue.removeFirst(batch.count)
                defer { state.dropped = 0 }
                return (batch, state.dropped)
            }
            if dropped > 0 { logger.warning("spans dropped: the export queue was full", metadata: ["spans": "\(dropped)"]) }
            guard !batch.isEmpty else { return }
            let body = Data(OTLPJSON.request(batch, resource: configuration.resource).description.utf8)
            let failure: String?
            do {
                let response = try await client.execute(HTTPClientRequest(url: configuration.endpoint, method: .post, headers: headers, body: body))
                failure = response.isSuccess ? nil : "the collector answered HTTP \(response.status)"
            } catch {
                failure = "\(error)"
            }
            report(failure)
        }
    }

    /// Logs the start of a run of failed exports, every hundredth failure, and its end.
    private func report(_ failure: String?) {
        let failedBefore = state.withLock { state in
            defer { state.failedBatches = failure == nil ? 0 : state.failedBatches + 1 }
            return state.failedBatches
        }
        if let failure, failedBefore % 100 == 0 {
            logger.warning("span export failed; spans are dropped until the collector answers", metadata: [
                "error": .string(failure), "otlp.endpoint": .string(configuration.endpoint), "failed_batches": "\(failedBefore + 1)",
            ])
        } else if failure == nil, failedBefore > 0 {
            logger.notice("span export works again", metadata: ["failed_batches": "\(failedBefore)"])
        }
    }
}

/// The OTLP/JSON encoding of spans (`ExportTraceServiceRequest`): ids in hex, times and 64-bit
/// integers as decimal strings, enums as numbers.
enum OTLPJSON {
    static func request(_ spans: [FinishedSpan], resource: [String: String]) -> JSONValue {
        .object([
            "resourceSpans": .array([.object([
                "resource": .object(["attributes": .array(resource.sorted { $0.key < $1.key }.map { keyValue($0.key, value(.string($0.value))) })]),
                "scopeSpans": .array([.object([
                    "scope": .object(["name": "RAGQueue", "version": .string(RAGQueueVersion.current)]),
                    "spans": .array(spans.map(span)),
                ])]),
            ])]),
        ])
    }

    static func span(_ span: FinishedSpan) -> JSONValue {
        var object: [String: JSONValue] = [
            "traceId": .string(span.context.traceID.lowercaseHex), "spanId": .string(span.context.spanID.lowercaseHex),
            "name": .string(span.name), "kind": .integer(kind(span.kind)),
            "startTimeUnixNano": .string(String(span.startNanoseconds)), "endTimeUnixNano": .string(String(span.endNanoseconds)),
            "attributes": attributes(span.attributes),
        ]
        if let parent = span.parentSpanID { object["parentSpanId"] = .string(parent.lowercaseHex) }
        if !span.events.isEmpty {
            object["events"] = .array(span.events.map { event in
                .object(["name": .string(event.name), "timeUnixNano": .string(String(event.nanosecondsSinceEpoch)), "attributes": attributes(event.attributes)])
            })
        }
        if let status = span.status {
            var fields: [String: JSONValue] = ["code": .integer(status.code == .ok ? 1 : 2)]
            if let message = status.message { fields["message"] = .string(message) }
            object["status"] = .object(fields)
        }
        return .object(object)
    }

    /// SPAN_KIND_INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5.
    private static func kind(_ kind: SpanKind) -> Int {
        switch kind {
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        default: 1
        }
    }

    private static func attributes(_ attributes: SpanAttributes) -> JSONValue {
        var list: [(String, JSONValue)] = []
        attributes.forEach { name, attribute in list.append((name, value(attribute))) }
        return .array(list.sorted { $0.0 < $1.0 }.map { keyValue($0.0, $0.1) })
    }

    private static func keyValue(_ key: String, _ value: JSONValue) -> JSONValue {
        .object(["key": .string(key), "value": value])
    }

    /// An `AnyValue`.
    private static func value(_ attribute: SpanAttribute) -> JSONValue {
        switch attribute {
        case .int32(let value): return .object(["intValue": .string(String(value))])
        case .int64(let value): return .object(["intValue": .string(String(value))])
        case .double(let value): return .object(["doubleValue": .number(value)])
        case .bool(let value): return .object(["boolValue": .bool(value)])
        case .string(let value): return .object(["stringValue": .string(value)])
        case .int32Array(let values): return array(values.map { .int32($0) })
        case .int64Array(let values): return array(values.map { .int64($0) })
        case .doubleArray(let values): return array(values.map { .double($0) })
        case .boolArray(let values): return array(values.map { .bool($0) })
        case .stringArray(let values): return array(values.map { .string($0) })
        case .stringConvertible(let value): return .object(["stringValue": .string(value.description)])
        case .stringConvertibleArray(let values): return array(values.map { .string($0.description) })
        default: return .object(["stringValue": .string(String(describing: attribute))])
        }
    }

    private static func array(_ values: [SpanAttribute]) -> JSONValue {
        .object(["arrayValue": .object(["values": .array(values.map(value))])])
    }
}
