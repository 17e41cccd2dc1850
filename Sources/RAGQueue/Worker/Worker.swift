import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Claims jobs from a queue and runs them, up to `concurrency` at once in one process.
///
/// Leases are renewed for all running jobs together on a schedule of their own, whatever the jobs
/// are doing. A cancel request or a lost lease stops the job's task. On graceful shutdown the
/// worker stops claiming, gives running jobs `shutdownGrace` to finish, then hands the rest back.
public final class Worker: Service {
    /// How a worker behaves.
    public struct Configuration: Sendable {
        /// The worker's id; default `<host>-<pid>-<random>`.
        public var id: String
        /// Jobs run at once. The work waits on the network, so many fit one process. Default 32.
        public var concurrency: Int = 32
        /// The longest wait for work before claiming again (scheduled retries, lost wake-ups). Default 2 s.
        public var idleWait: Duration = .seconds(2)
        /// How long an idle worker, woken by new work, waits before it claims, so that jobs arriving
        /// meanwhile come in the same claim (one script call and one wake-up for several jobs instead
        /// of one each). It delays each job's start by up to this much; a worker with a backlog
        /// claims at once. Default 5 ms (at 200 jobs a second, two jobs a claim: 14 % fewer Valkey
        /// commands a RAG job); zero claims at once.
        public var claimLinger: Duration = .milliseconds(5)
        /// How long running jobs may take to finish after a shutdown begins. Default 20 s.
        public var shutdownGrace: Duration = .seconds(20)
        /// Where job tasks and the claim loop prefer to run; nil (default) leaves them on the global
        /// executor. The worker process sets its backends' HTTP client's thread
        /// (`CurlHTTPClient.taskExecutor`): a RAG job mostly waits on that client, and each
        /// response then resumes it on the thread that read it; jobs the claim loop starts there
        /// are queued without waking another thread.
        public var taskExecutor: (any TaskExecutor)?

        /// Defaults, with a fresh id.
        public init() {
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            id = "\(host)-\(getpid())-\(JobID().rawValue.prefix(6))"
        }
    }

    /// How long a worker process's store calls wait for an unreachable Valkey (`ValkeyJobStore`'s
    /// `serverWait`): its loops retry anyway, results are written again until their lease ends,
    /// and a short wait lets the worker stop on SIGTERM within its grace while Valkey is down.
    public static let storeWait: Duration = .seconds(1)

    /// The worker's settings.
    public let configuration: Configuration
    // Internal, not private: `Worker+Execution.swift` runs the jobs with them.
    let store: any JobStore
    let queue: QueueConfiguration
    let handlers: [String: any JobHandler]
    let logger: Logger
    let clock: any WallClock
    let metrics: WorkerMetrics
    private let inFlight = InFlightJobs()
    private let stopping = Mutex(false)
    private let waiter: any WorkWaiter

    /// A worker for `store`, running `handlers` (one per kind); `clock` times retries and heartbeats;
    /// what it measures goes to `metrics`.
    public init(
        store: any JobStore, queue: QueueConfiguration, handlers: [any JobHandler], configuration: Configuration = .init(),
        clock: any WallClock = SystemWallClock(), metrics: WorkerMetrics = WorkerMetrics(), logger: Logger
    ) {
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.queue = queue
        self.configuration = configuration
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        var logger = logger
        logger[metadataKey: "worker.id"] = .string(configuration.id)
        self.logger = logger
        self.waiter = store.makeWorkWaiter()
    }

    /// Jobs running now.
    public var runningJobs: Int { inFlight.count }

    /// Runs until shutdown (graceful shutdown of the service group, or `stop()`).
    public func run() async throws {
        logger.info("worker started", metadata: ["concurrency": "\(configuration.concurrency)", "kinds": "\(handlers.keys.sorted())"])
        let info = WorkerInfo(
            id: configuration.id, host: ProcessInfo.processInfo.hostName, pid: getpid(),
            concurrency: configuration.concurrency, kinds: handlers.keys.sorted(),
            startedAtMilliseconds: clock.nowMilliseconds()
        )
        // Announced before the first claim, so a crash is noticed by its heartbeat from the start.
        try? await store.heartbeat(info, ttl: queue.heartbeat)
        // A graceful shutdown stops claiming and lets running jobs finish within the grace; a
        // cancellation (a sibling service failed, say) stops claiming and hands them back at once.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.maintain(info) }
                    await withTaskExecutorPreference(self.configuration.taskExecutor) { await self.claimLoop() }
                    await self.drain()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
        waiter.close()
        try? await store.removeWorker(configuration.id)
        logger.info("worker stopped")
    }

    /// Begins a graceful shutdown: stop claiming, let running jobs finish within the grace period.
    public func stop() {
        stopping.withLock { $0 = true }
        waiter.close()
        inFlight.wakeAll()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    private func claimLoop() async {
        var failures = 0
        var woken = false
        while !isStopping {
            // Claim as soon as a slot is free: an idle slot costs more than a claim call. Slots that
            // free up during a claim's round trip are filled together by the next one.
            let free = configuration.concurrency - inFlight.count
            if free <= 0 {
                await inFlight.waitForChange(below: configuration.concurrency)
                continue
            }
            if woken, configuration.claimLinger > .zero {
                try? await Task.sleep(for: configuration.claimLinger)
            }
            woken = false
            let claimed: ClaimBatch
            do {
                claimed = try await store.claim(workerID: configuration.id, count: free)
                failures = 0
            } catch {
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("claim failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(50 * (1 << min(failures, 5)), 1000)))
                continue
            }
            if !claimed.jobs.isEmpty { metrics.claimedBatch() }
            for job in claimed.jobs { start(job) }
            // Fewer than asked: the claim took all there was (or all the circuit allows). Another
            // claim now would most likely come back empty; the marker wakes the wait at once when
            // the claim left work claimable or when new work comes.
            if claimed.jobs.count < free {
                var wait = configuration.idleWait
                if let due = claimed.nextDueMilliseconds {
                    let untilDue = Duration.milliseconds(max(due - clock.nowMilliseconds(), 10))
                    wait = min(wait, untilDue)
                }
                if isStopping { break }
                do {
                    try await waiter.wait(timeout: wait)
                    woken = true
                } catch {
                    if !isStopping { try? await Task.sleep(for: .milliseconds(100)) }
                }
            }
        }
    }

    private func start(_ job: ClaimedJob) {
        let flag = CancelFlag()
        inFlight.start(lease: job.lease, flag: flag) {
            Task(executorPreference: configuration.taskExecutor) { [self] in
                await self.execute(job, flag: flag)
                self.inFlight.remove(job.id)
            }
        }
    }

    /// Heartbeat, lease renewal and the queue's reclaim, every third of a heartbeat (at most a
    /// quarter of the lease).
    private func maintain(_ info: WorkerInfo) async {
        let period = min(queue.lease / 4, queue.heartbeat / 3)
        while !Task.isCancelled {
            do {
                try await store.heartbeat(info, ttl: queue.heartbeat)
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            await renewLeases()
            do {
                let report = try await store.reclaimExpired()
                if report.requeued + report.failed + report.canceled > 0 {
                    logger.info("reclaimed jobs of dead workers or with expired leases", metadata: [
                        "requeued": "\(report.requeued)", "failed": "\(report.failed)", "canceled": "\(report.canceled)",
                        "of_dead_workers": "\(report.crashed)",
                    ])
                }
                if report.outage > .zero {
                    logger.warning("nobody reached the queue for a while (an outage?): leases and heartbeats moved on by the gap", metadata: [
                        "gap_ms": "\(report.outage.milliseconds)",
                    ])
                }
            } catch {
                logger.warning("queue maintenance failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: period)
        }
    }

    private func renewLeases() async {
        let entries = inFlight.all
        guard !entries.isEmpty else { return }
        let answers: [LeaseRenewal]
        do {
            answers = try await store.renew(entries.map(\.lease))
        } catch {
            logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
            return
        }
        for (entry, answer) in zip(entries, answers) {
            switch answer {
            case .renewed:
                continue
            case .cancelRequested:
                entry.flag.set(.canceled)
                entry.task.cancel()
            case .lost:
                logger.warning("lease lost; stopping job", metadata: ["job.id": "\(entry.lease.id)"])
                entry.flag.set(.leaseLost)
                entry.task.cancel()
            }
        }
    }

    private func drain() async {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.shutdownGrace
        while !inFlight.isEmpty && clock.now < deadline && !Task.isCancelled {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.inFlight.waitForChange(below: 1) }
                group.addTask { try? await Task.sleep(until: deadline, clock: clock) }
                await group.next()
                group.cancelAll()
            }
        }
        let remaining = inFlight.all
        guard !remaining.isEmpty else { return }
        logger.info("handing unfinished jobs back", metadata: ["count": "\(remaining.count)"])
        for entry in remaining {
            entry.flag.set(.shutdown)
            entry.task.cancel()
        }
        for entry in remaining { await entry.task.value }
    }
}
