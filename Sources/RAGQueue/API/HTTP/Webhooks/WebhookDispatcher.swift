import Foundation
import Logging
import RAGQueue
import ServiceLifecycle

/// POSTs a query's result to its `callback_url` when the job ends, signed (`WebhookSignature`)
/// and retried with exponential backoff.
///
/// Jobs to watch are kept in a Valkey set, so a restarted API process resumes them; the process
/// that removes a job from the set delivers it, so several API processes never deliver twice.
/// Waiting uses `JobEvents` (pushed, not polled).
public final class WebhookDispatcher: Service {
    private let store: any JobStore
    private let events: JobEvents
    private let valkey: ValkeyClient
    private let pendingKey: String
    private let configuration: APIConfiguration.Webhooks
    private let httpClient: CurlHTTPClient
    private let metrics: APIMetrics
    private let logger: Logger
    private let (tracked, trackedContinuation) = AsyncStream<JobID>.makeStream()

    /// How long one wait for a job's end lasts before the record is read again.
    static let waitSlice: Duration = .seconds(60)

    /// A dispatcher for the queue that `keys` names.
    public init(store: any JobStore, events: JobEvents, valkey: ValkeyClient, keys: QueueKeys, configuration: APIConfiguration.Webhooks, httpClient: CurlHTTPClient, metrics: APIMetrics, logger: Logger) {
        self.store = store
        self.events = events
        self.valkey = valkey
        self.pendingKey = keys.base + "webhooks:pending"
        self.configuration = configuration
        self.httpClient = httpClient
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts watching `id`, whose payload names a callback URL.
    public func track(_ id: JobID) async {
        do {
            try await valkey.send("SADD", pendingKey, id.rawValue)
        } catch {
            logger.warning("cannot record a pending webhook; it is watched by this process only", metadata: ["job.id": "\(id)", "error": "\(error.codeName)"])
        }
        trackedContinuation.yield(id)
    }

    /// Watches pending jobs (those left by earlier runs, then new ones) until shutdown.
    public func run() async throws {
        let pending = (try? await valkey.send("SMEMBERS", pendingKey).array?.compactMap { $0.string.flatMap(JobID.init) }) ?? []
        for id in pending { trackedContinuation.yield(id) }
        let tracked = self.tracked
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await id in tracked.cancelOnGracefulShutdown() {
                    group.addTask { await self.watch(id) }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.trackedContinuation.finish()
        }
    }

    private func watch(_ id: JobID) async {
        var record: JobRecord?
        while !Task.isCancelled {
            do {
                record = try await events.waitForEnd(of: id, in: store, timeout: Self.waitSlice)
            } catch {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let current = record else { break }
            if current.status.isTerminal { break }
        }
        guard !Task.isCancelled else { return }
        // Whoever removes the id delivers; a record gone for good is dropped.
        guard let claimed = try? await valkey.send("SREM", pendingKey, id.rawValue).int, claimed == 1, let record,
              record.status.isTerminal
        else { return }
        await deliver(record)
    }

    private func deliver(_ record: JobRecord) async {
        guard let query = try? JSONDecoder().decode(RAGQuery.self, from: Data(record.payload)), let url = query.callbackURL else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(JSONValue.object(["type": .string("query.ended"), "query": QueryView.v1(record)]))) ?? Data()
        var backoff = configuration.initialBackoff
        var logger = self.logger
        logger[metadataKey: "job.id"] = .string(record.id.rawValue)
        for attempt in 1...max(1, configuration.maxAttempts) {
            let timestamp = Int64(Date().timeIntervalSince1970)
            var headers: HTTPClientHeaders = ["Content-Type": "application/json", "RAGQueue-Delivery": record.id.rawValue]
            if !configuration.signingSecret.isEmpty {
                headers.add(name: WebhookSignature.headerName, value: WebhookSignature(body: Array(body), secret: configuration.signingSecret, timestamp: timestamp).headerValue)
            }
            let request = HTTPClientRequest(url: url, method: .post, headers: headers, body: body, timeout: configuration.timeout)
            let status = (try? await httpClient.execute(request))?.status
            if let status, (200..<300).contains(status) {
                metrics.recordWebhook(outcome: "delivered")
                logger.debug("webhook delivered", metadata: ["attempt": "\(attempt)"])
                return
            }
            guard attempt < configuration.maxAttempts else { break }
            metrics.recordWebhook(outcome: "retried")
            do {
                try await Task.sleep(for: backoff)
            } catch {
                return
            }
            backoff = min(backoff * 2, configuration.maximumBackoff)
        }
        metrics.recordWebhook(outcome: "abandoned")
        logger.warning("webhook abandoned after its last attempt", metadata: ["attempts": "\(configuration.maxAttempts)"])
    }
}
