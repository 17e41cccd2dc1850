import Foundation

/// Where traces go, read from OpenTelemetry's standard variables. Tracing is off unless an OTLP
/// endpoint is named (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or
/// `OTEL_TRACES_EXPORTER=otlp` asks for the default one; `OTEL_TRACES_EXPORTER=none` or
/// `OTEL_SDK_DISABLED=true` turn it off whatever else is set.
///
/// The protocol is OTLP/HTTP with JSON bodies (`http/json`), which every OpenTelemetry collector,
/// Jaeger and Tempo accept on their OTLP/HTTP port (4318); `http/protobuf` and `grpc` are refused
/// with a message rather than sent in a form the collector would not expect.
public struct TracingConfiguration: Sendable, Hashable {
    /// The full URL spans are posted to (`.../v1/traces`).
    public var endpoint: String
    /// Extra request headers (`OTEL_EXPORTER_OTLP_HEADERS`: `key=value,...`, values URL-encoded).
    public var headers: [String: String] = [:]
    /// Resource attributes: `service.name` and `OTEL_RESOURCE_ATTRIBUTES`.
    public var resource: [String: String]
    /// Which new traces are recorded (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`).
    public var sampler: OTLPTracer.Sampler = .always
    /// Longest wait before queued spans are sent (`OTEL_BSP_SCHEDULE_DELAY`, ms). Default 5 s.
    public var scheduleDelay: Duration = .seconds(5)
    /// Spans that may wait; more are dropped (`OTEL_BSP_MAX_QUEUE_SIZE`). Default 2048.
    public var maxQueueSize = 2048
    /// Spans per request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`). Default 512.
    public var maxExportBatchSize = 512
    /// One export's deadline (`OTEL_EXPORTER_OTLP_TIMEOUT`, ms). Default 10 s.
    public var exportTimeout: Duration = .seconds(10)

    /// The configuration in `environment`, with `serviceName` unless `OTEL_SERVICE_NAME` names
    /// another; nil when tracing is off. Throws naming the variable that does not parse.
    public static func from(environment: [String: String], serviceName: String) throws(ConfigurationError) -> TracingConfiguration? {
        func value(_ name: String) -> String? {
            environment[name].map { String($0.trimmingWhitespace) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        let exporter = value("OTEL_TRACES_EXPORTER")?.lowercased()
        guard exporter != "none" else { return nil }
        guard exporter == nil || exporter == "otlp" else {
            throw ConfigurationError(setting: "OTEL_TRACES_EXPORTER", "must be otlp or none, got \"\(exporter ?? "")\"")
        }
        let endpoint: String
        if let traces = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            endpoint = traces
        } else if let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            endpoint = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
        } else if exporter == "otlp" {
            endpoint = "http://localhost:4318/v1/traces"
        } else {
            return nil
        }
        guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ConfigurationError(setting: "OTEL_EXPORTER_OTLP_ENDPOINT", "must be an http:// or https:// URL, got \"\(endpoint)\"")
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let protocolName = value(name), protocolName != "http/json" {
                throw ConfigurationError(setting: name, "only http/json is supported (OTLP/HTTP with JSON bodies), got \"\(protocolName)\"")
            }
        }
        var configuration = TracingConfiguration(endpoint: endpoint, resource: ["service.name": value("OTEL_SERVICE_NAME") ?? serviceName])
        for (key, text) in try pairs(value("OTEL_RESOURCE_ATTRIBUTES"), "OTEL_RESOURCE_ATTRIBUTES") where key != "service.name" || value("OTEL_SERVICE_NAME") == nil {
            configuration.resource[key] = text
        }
        configuration.resource["service.version"] = RAGQueueVersion.current
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            for (key, text) in try pairs(value(name), name) { configuration.headers[key] = text }
        }
        configuration.sampler = try sampler(value("OTEL_TRACES_SAMPLER"), argument: value("OTEL_TRACES_SAMPLER_ARG"))
        if let text = value("OTEL_BSP_SCHEDULE_DELAY") {
            configuration.scheduleDelay = .milliseconds(try Parse.integer(text, "OTEL_BSP_SCHEDULE_DELAY", in: 1...600_000))
        }
        if let text = value("OTEL_BSP_MAX_QUEUE_SIZE") {
            configuration.maxQueueSize = try Parse.integer(text, "OTEL_BSP_MAX_QUEUE_SIZE", in: 1...1_000_000)
        }
        if let text = value("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
            configuration.maxExportBatchSize = try Parse.integer(text, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", in: 1...100_000)
        }
        if let text = value("OTEL_EXPORTER_OTLP_TIMEOUT") {
            configuration.exportTimeout = .milliseconds(try Parse.integer(text, "OTEL_EXPORTER_OTLP_TIMEOUT", in: 1...600_000))
        }
        return configuration
    }

    /// `key=value,...` with URL-encoded values.
    private static func pairs(_ text: String?, _ name: String) throws(ConfigurationError) -> [(String, String)] {
        guard let text else { return [] }
        var pairs: [(String, String)] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0.trimmingWhitespace) }
            guard parts.count == 2, !parts[0].isEmpty else { throw ConfigurationError(setting: name, "must be key=value,..., got \"\(entry)\"") }
            pairs.append((parts[0], parts[1].removingPercentEncoding ?? parts[1]))
        }
        return pairs
    }

    /// OpenTelemetry's sampler names; a parent's decision always wins (the tracer follows it).
    private static func sampler(_ name: String?, argument: String?) throws(ConfigurationError) -> OTLPTracer.Sampler {
        switch name?.lowercased() ?? "parentbased_always_on" {
        case "always_on", "parentbased_always_on": return .always
        case "always_off", "parentbased_always_off": return .never
        case "traceidratio", "parentbased_traceidratio":
            guard let ratio = Double(argument ?? "1"), (0...1).contains(ratio) else {
                throw ConfigurationError(setting: "OTEL_TRACES_SAMPLER_ARG", "must be a ratio from 0 to 1, got \"\(argument ?? "")\"")
            }
            return .ratio(ratio)
        default:
            throw ConfigurationError(
                setting: "OTEL_TRACES_SAMPLER",
                "must be always_on, always_off, traceidratio or their parentbased_ forms, got \"\(name ?? "")\""
            )
        }
    }
}
