import Logging
import RAGQueue
import ServiceLifecycle
import UnixSignals

/// A worker process for the diagnostic job kinds `noop` and `sleep`: what `ragsim bench-queue`
/// starts as its workers, so that the queue is measured without a pipeline behind it.
public struct QueueWorkerProcess: Sendable {
    /// Where the queue is and how the worker runs.
    public struct Options: Sendable {
        /// The Valkey URL.
        var valkeyURL: String
        /// The queue's key prefix.
        var prefix: String
        /// The queue's name.
        var queue: String
        /// Jobs run at once.
        var concurrency: Int
        /// How long a claimed job is the worker's.
        var lease: Duration
        /// The log level.
        var logLevel: Logger.Level

        /// Options with every value given.
        public init(valkeyURL: String, prefix: String, queue: String, concurrency: Int, lease: Duration, logLevel: Logger.Level) {
            self.valkeyURL = valkeyURL
            self.prefix = prefix
            self.queue = queue
            self.concurrency = concurrency
            self.lease = lease
            self.logLevel = logLevel
        }
    }

    let options: Options

    /// A worker process configured by `options`.
    public init(options: Options) {
        self.options = options
    }

    /// Runs the worker until SIGTERM or SIGINT, then drains it.
    public func run() async throws {
        var logger = Logger(label: "ragsim.queue-worker")
        logger.logLevel = options.logLevel
        var queueConfiguration = QueueConfiguration()
        queueConfiguration.prefix = options.prefix
        queueConfiguration.name = options.queue
        queueConfiguration.lease = options.lease
        let store = try ValkeyJobStore(url: options.valkeyURL, configuration: queueConfiguration, serverWait: Worker.storeWait)
        var workerConfiguration = Worker.Configuration()
        workerConfiguration.concurrency = options.concurrency
        let worker = Worker(
            store: store, queue: queueConfiguration, handlers: [NoopJobHandler(), SleepJobHandler()],
            configuration: workerConfiguration, logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        store.close()
    }
}
