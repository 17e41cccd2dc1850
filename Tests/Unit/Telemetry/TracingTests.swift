import Foundation
import Testing
import Tracing

@testable import RAGQueue

/// The W3C trace context, the OTEL_* configuration and the OTLP/JSON encoding.
@Suite("tracing")
struct TracingTests {
    @Test("a traceparent round-trips; malformed ones are refused", arguments: [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-00", true),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later-fields", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-+0f067aa0ba902b7-01", false),
        ("", false),
    ])
    func traceparent(value: String, valid: Bool) throws {
        let context = TraceContext(traceparent: value)
        #expect((context != nil) == valid, "\(value)")
        if let context {
            let fields = value.lowercased().split(separator: "-")
            #expect(context.traceparent == "00-\(fields[1])-\(fields[2])-\(context.sampled ? "01" : "00")")
            #expect(context.sampled == fields[3].hasSuffix("1"))
        }
    }

    @Test("new ids are random and never zero")
    func ids() {
        let traces = Set((0..<100).map { _ in TraceContext.newTraceID() })
        #expect(traces.count == 100 && traces.allSatisfy { $0.count == 16 && $0.contains { $0 != 0 } })
        #expect(TraceContext.newSpanID().count == 8)
    }

    @Test("tracing is off unless an endpoint is named or otlp asked for; none and the SDK switch turn it off")
    func switches() throws {
        #expect(try TracingConfiguration.from(environment: [:], serviceName: "s") == nil)
        let base = try #require(try TracingConfiguration.from(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"], serviceName: "s"))
        #expect(base.endpoint == "http://collector:4318/v1/traces")
        #expect(base.resource["service.name"] == "s")
        let own = try #require(try TracingConfiguration.from(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b/traces",
            "OTEL_SERVICE_NAME": "api-eu", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.name=ignored",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc,x-tenant=t",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25", "OTEL_BSP_SCHEDULE_DELAY": "200",
        ], serviceName: "s"))
        #expect(own.endpoint == "https://b/traces")
        #expect(own.resource["service.name"] == "api-eu" && own.resource["deployment.environment"] == "prod")
        #expect(own.headers == ["authorization": "Bearer abc", "x-tenant": "t"])
        #expect(own.sampler == .ratio(0.25) && own.scheduleDelay == .milliseconds(200))
        #expect(try TracingConfiguration.from(environment: ["OTEL_TRACES_EXPORTER": "otlp"], serviceName: "s")?.endpoint == "http://localhost:4318/v1/traces")
        #expect(try TracingConfiguration.from(environment: ["OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://a"], serviceName: "s") == nil)
        #expect(try TracingConfiguration.from(environment: ["OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://a"], serviceName: "s") == nil)
    }

    @Test("a setting that cannot be honoured is refused, naming it", arguments: [
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"], "OTEL_EXPORTER_OTLP_PROTOCOL"),
        (["OTEL_TRACES_EXPORTER": "zipkin"], "OTEL_TRACES_EXPORTER"),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"], "OTEL_EXPORTER_OTLP_ENDPOINT"),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"], "OTEL_TRACES_SAMPLER_ARG"),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"], "OTEL_EXPORTER_OTLP_HEADERS"),
    ])
    func refused(environment: [String: String], setting: String) {
        #expect(throws: ConfigurationError.self) { try TracingConfiguration.from(environment: environment, serviceName: "s") }
        do {
            _ = try TracingConfiguration.from(environment: environment, serviceName: "s")
        } catch {
            #expect(error.setting == setting, "\(error)")
        }
    }

    @Test("the ratio sampler decides by the trace id, the same way in every process")
    func ratio() {
        let ids = (0..<2000).map { _ in TraceContext.newTraceID() }
        let kept = ids.filter { OTLPTracer.Sampler.ratio(0.25).samples($0) }.count
        #expect((300...700).contains(kept), "about a quarter of 2000: \(kept)")
        #expect(ids.allSatisfy { OTLPTracer.Sampler.ratio(0.25).samples($0) == OTLPTracer.Sampler.ratio(0.25).samples($0) })
        #expect(ids.allSatisfy { OTLPTracer.Sampler.ratio(1).samples($0) } && !ids.contains { OTLPTracer.Sampler.ratio(0).samples($0) })
    }

    @Test("a span in OTLP/JSON: hex ids, kind as a number, times and integers as strings, typed attributes")
    func encoding() throws {
        let context = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        var attributes: SpanAttributes = [:]
        attributes["gen_ai.usage.input_tokens"] = 42
        attributes["ragqueue.tenant"] = "acme"
        attributes["ratio"] = 0.5
        attributes["cached"] = false
        let span = FinishedSpan(
            name: "generate", context: context, parentSpanID: [1, 2, 3, 4, 5, 6, 7, 8], kind: .client, startNanoseconds: 1_000,
            endNanoseconds: 2_000, attributes: attributes, events: [], status: .init(code: .error, message: "timeout")
        )
        let json = OTLPJSON.request([span], resource: ["service.name": "ragserve-worker"])
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(json.description.utf8))
        let resource = decoded["resourceSpans"]?.arrayValue?.first
        #expect(resource?["resource"]?["attributes"]?.arrayValue?.first == .object(["key": "service.name", "value": .object(["stringValue": "ragserve-worker"])]))
        let encoded = try #require(resource?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue?.first)
        #expect(encoded["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736" && encoded["spanId"] == "00f067aa0ba902b7")
        #expect(encoded["parentSpanId"] == "0102030405060708" && encoded["kind"] == 3)
        #expect(encoded["startTimeUnixNano"] == "1000" && encoded["endTimeUnixNano"] == "2000")
        #expect(encoded["status"] == .object(["code": 2, "message": "timeout"]))
        let values = Dictionary(uniqueKeysWithValues: (encoded["attributes"]?.arrayValue ?? []).compactMap { item in
            item["key"]?.stringValue.map { ($0, item["value"] ?? .null) }
        })
        #expect(values["gen_ai.usage.input_tokens"] == .object(["intValue": "42"]))
        #expect(values["ragqueue.tenant"] == .object(["stringValue": "acme"]))
        #expect(values["ratio"] == .object(["doubleValue": 0.5]) && values["cached"] == .object(["boolValue": false]))
    }
}
