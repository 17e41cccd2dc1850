import Foundation
import Logging
import RAGQueue
import ServiceLifecycle
import Synchronization

/// POSTs a query's result to its `callback_url` when the job ends, signed (`WebhookSignature`)
/// and retried with exponential backoff.
///
/// Jobs to watch stay in the queue's `WebhookOutbox` until their delivery succeeded or was
/// abandoned, so a delivery cut short by a crash is taken up again: by this process when it
/// restarts, or by another API process at its next sweep of the outbox. One process at a time
/// delivers a job: it holds the job's delivery lease, extended before every attempt, which runs out
/// if the process dies. Delivery is at least once (a crash between the receiver's answer and the
/// outbox's update repeats it); receivers deduplicate by the `RAGQueue-Delivery` header. Waiting
/// for a job's end uses the store's events (pushed, not polled).
public final class WebhookDispatcher: Service {
    private let store: any JobStore & WebhookOutbox
    /// Identifies this process's delivery leases.
    private let owner = JobID().rawValue
    /// Ids this process watches now, so a sweep does not watch them twice.
    private let watching = Mutex<Set<JobID>>([])
    /// How often the pending set is read again for deliveries that another process left.
    private let sweepInterval: Duration
    private let configuration: APIConfiguration.Webhooks
    private let httpClient: CurlHTTPClient
    private let metrics: APIMetrics
    private let logger: Logger
    private let (tracked, trackedContinuation) = AsyncStream<JobID>.makeStream()

    /// How long one wait for a job's end lasts before the record is read again.
    static let waitSlice: Duration = .seconds(60)

    /// A dispatcher for the queue of `store`; `sweepInterval` is how often it looks for deliveries
    /// that other (dead) processes left behind.
    public init(
        store: any JobStore & WebhookOutbox, configuration: APIConfiguration.Webhooks, httpClient: CurlHTTPClient, metrics: APIMetrics,
        logger: Logger, sweepInterval: Duration = .seconds(30)
    ) {
        self.store = store
        self.sweepInterval = sweepInterval
        self.configuration = configuration
        self.httpClient = httpClient
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts watching `id`, whose payload names a callback URL.
    public func track(_ id: JobID) async {
        do {
            try await store.addPendingDelivery(id)
        } catch {
            logger.warning("cannot record a pending webhook; it is watched by this process only", metadata: ["job.id": "\(id)", "error": "\(error.codeName)"])
        }
        trackedContinuation.yield(id)
    }

    /// Watches pending jobs (those left by earlier runs or other processes, then new ones) until shutdown.
    public func run() async throws {
        let tracked = self.tracked
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.sweep() }
                for await id in tracked.cancelOnGracefulShutdown() {
                    let isNew = self.watching.withLock { $0.insert(id).inserted }
                    if isNew {
                        group.addTask {
                            await self.watch(id)
                            self.watching.withLock { _ = $0.remove(id) }
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.trackedContinuation.finish()
        }
    }

    /// Reads the outbox now and every `sweepInterval`, and watches the ids nobody here watches.
    private func sweep() async {
        while !Task.isCancelled {
            let pending = (try? await store.pendingDeliveries()) ?? []
            for id in pending { trackedContinuation.yield(id) }
            try? await Task.sleep(for: sweepInterval)
        }
    }

    private func watch(_ id: JobID) async {
        var record: JobRecord?
        while !Task.isCancelled {
            do {
                record = try await store.waitForEnd(of: id, timeout: Self.waitSlice)
            } catch {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let current = record else { break }
            if current.status.isTerminal { break }
        }
        guard !Task.isCancelled else { return }
        guard let record, record.status.isTerminal else {
            // The record is gone for good: nothing to deliver.
            try? await store.finishDelivery(id, owner: owner)
            return
        }
        // Another live process may hold the delivery; it stays pending until that one finishes.
        guard await holdLease(id) else { return }
        if await deliver(record) {
            try? await store.finishDelivery(id, owner: owner)
        }
    }

    /// How long a delivery lease lasts: one attempt and the pause after it, with a margin.
    private var deliveryLease: Duration { configuration.timeout + configuration.maximumBackoff + .seconds(1) }

    /// Takes or extends the delivery lease of `id`; false when another process holds it.
    private func holdLease(_ id: JobID) async -> Bool {
        (try? await store.holdDelivery(id, owner: owner, lease: deliveryLease)) ?? false
    }

    /// Delivers with retries; true once delivered or abandoned, false when cut short (shutdown, or
    /// the lock lost to another process), leaving the delivery pending.
    private func deliver(_ record: JobRecord) async -> Bool {
        guard let query = try? RAGQuery(json: record.payload), let url = query.callbackURL else { return true }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(JSONValue.object(["type": .string("query.ended"), "query": QueryView.v1(record)]))) ?? Data()
        var backoff = configuration.initialBackoff
        var logger = self.logger
        logger[metadataKey: "job.id"] = .string(record.id.rawValue)
        for attempt in 1...max(1, configuration.maxAttempts) {
            if attempt > 1 {
                guard await holdLease(record.id) else { return false }
            }
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
                return true
            }
            guard attempt < configuration.maxAttempts else { break }
            metrics.recordWebhook(outcome: "retried")
            do {
                try await Task.sleep(for: backoff)
            } catch {
                return false
            }
            backoff = min(backoff * 2, configuration.maximumBackoff)
        }
        metrics.recordWebhook(outcome: "abandoned")
        logger.warning("webhook abandoned after its last attempt", metadata: ["attempts": "\(configuration.maxAttempts)"])
        return true
    }
}
