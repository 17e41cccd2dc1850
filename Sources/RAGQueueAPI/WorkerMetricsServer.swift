import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import RAGQueue
import ServiceLifecycle

/// A worker process's own small HTTP server (`ragserve worker --metrics-port`): `/metrics`, the
/// Prometheus text of what the worker and its pipeline measure (`WorkerMetrics`), and `/healthz`,
/// 200 while the process serves (a container's health check).
public struct WorkerMetricsServer: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    /// A server rendering `registry` (a fresh one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// The swift-metrics factory writing to `registry`, with `WorkerMetrics`'s duration buckets:
    /// bootstrap it, or hand it to `WorkerMetrics(factory:)`.
    public var factory: PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = WorkerMetrics.durationBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
        return factory
    }

    /// The HTTP service on `host:port` (0 picks a free one; `onServerRunning` gets the bound port).
    public func service(host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ in Response.text(registry.emitToString(), contentType: APIMetrics.contentType) }
        router.get("/healthz") { _, _ in Response.json(.object(["status": .string("ok")])) }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "RAGQueue-worker"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

/// What a server that could not listen says, in one line naming the address.
public enum ListenFailure {
    /// The line for `error` when it is a failure to bind `host:port` (in use, not allowed, no such
    /// address); nil for any other error.
    public static func message(for error: any Error, host: String, port: Int) -> String? {
        guard let error = error as? IOError else { return nil }
        let address = "\(host):\(port)"
        switch error.errnoCode {
        case EADDRINUSE: return "cannot listen on \(address): the port is in use by another process"
        case EACCES: return "cannot listen on \(address): permission denied (ports below 1024 need privileges)"
        case EADDRNOTAVAIL: return "cannot listen on \(address): no interface of this machine has that address"
        default: return nil
        }
    }
}
