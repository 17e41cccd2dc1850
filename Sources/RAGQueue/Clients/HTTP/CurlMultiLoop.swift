import CCurlHelpers
import Logging
import Synchronization

#if canImport(Foundation)
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The thread that drives every transfer of one `CurlHTTPClient` through libcurl's multi interface.
///
/// Tasks hand it commands through a mutex-protected inbox and wake it (`CurlMultiHandle.wakeup`);
/// it never blocks Swift's cooperative pool. It waits on the sockets libcurl watches and hands it
/// only those that are ready (`curl_multi_socket_action` over epoll), not a poll of every socket.
///
/// It is also a task executor: a task that prefers it (`Task(executorPreference:)`, as the
/// worker's job tasks do) runs on this thread between the loop's waits, so a transfer it starts
/// needs no wake-up and its response resumes it here, without a hop to another thread and back.
/// What such a task does between its awaits holds up every transfer, so only tasks that mostly
/// wait on this client's calls should prefer it. Jobs enqueued once the loop has exited go to the
/// global executor.
final class CurlMultiLoop: TaskExecutor, Sendable {
    enum Command: Sendable {
        case start(CurlTransfer)
        case cancel(CurlTransfer)
    }

    private enum RunState {
        case running
        case stopping
        case exited
    }

    private struct Inbox: ~Copyable {
        var commands: [Command] = []
        /// Tasks' jobs to run on the loop's thread, in order.
        var jobs: [UnownedJob] = []
        var state: RunState = .running
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// State only the loop's thread touches, so it needs no lock.
    private final class Transfers {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var idleHandles: [CurlEasyHandle] = []
    }

    private let multi: CurlMultiHandle
    private let inbox = Mutex(Inbox())
    /// The loop thread's `pthread_self()` once it runs: work enqueued from it needs no wake-up.
    private let loopThread = Atomic<UInt>(0)
    let configuration: CurlHTTPClient.Configuration
    private let logger: Logger

    init(configuration: CurlHTTPClient.Configuration, logger: Logger) throws(HTTPClientError) {
        let initResult = rq_global_init_once()
        guard initResult == CURLE_OK else {
            throw HTTPClientError.fromCurl(initResult, detail: "curl_global_init failed")
        }
        guard let multi = CurlMultiHandle() else {
            throw HTTPClientError(.internalError, message: "curl_multi_init failed")
        }
        if configuration.maxConnectionsPerHost > 0 {
            multi.set(CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        }
        if configuration.maxCachedConnections > 0 {
            multi.set(CURLMOPT_MAXCONNECTS, configuration.maxCachedConnections)
        }
        self.multi = multi
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts the loop's thread.
    func start() {
        let thread = Thread { [self] in
            // Named from inside, for the kernel (`top -H`, `perf`): Foundation's name does not
            // reliably reach it on Linux, and the thread would carry its creator's.
            rq_name_current_thread("ragqueue-curl")
            self.run()
        }
        thread.start()
    }

    /// Queues a command and wakes the loop; false when the loop no longer accepts work.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        let accepted = self.inbox.withLock { inbox in
            guard case .running = inbox.state else { return false }
            inbox.commands.append(command)
            return true
        }
        if accepted {
            self.multi.wakeup()
        }
        return accepted
    }

    /// Whether the caller runs on the loop's thread.
    var isCurrentThread: Bool {
        self.loopThread.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// Runs `job` on the loop's thread, or on the global executor once the loop has exited.
    func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        let queued = self.inbox.withLock { inbox in
            if case .exited = inbox.state { return false }
            inbox.jobs.append(unownedJob)
            return true
        }
        guard queued else {
            globalConcurrentExecutor.enqueue(ExecutorJob(unownedJob))
            return
        }
        if !self.isCurrentThread {
            self.multi.wakeup()
        }
    }

    /// Asks the loop to fail everything in flight with `.shutdown` and exit; returns at once.
    func requestShutdown() {
        self.inbox.withLock { inbox in
            if case .running = inbox.state {
                inbox.state = .stopping
            }
        }
        self.multi.wakeup()
    }

    /// Asks the loop to stop and waits until its thread has let go of every transfer.
    func shutdown() async {
        self.requestShutdown()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = self.inbox.withLock { inbox in
                if case .exited = inbox.state { return true }
                inbox.exitWaiters.append(continuation)
                return false
            }
            if exited {
                continuation.resume()
            }
        }
    }

    // MARK: The loop's thread

    private func run() {
        self.loopThread.store(UInt(pthread_self()), ordering: .relaxed)
        let transfers = Transfers()
        let executor = self.asUnownedTaskExecutor()
        self.logger.debug("HTTP client loop started")
        while true {
            let (commands, jobs, stopping) = self.inbox.withLock { inbox in
                let commands = inbox.commands
                let jobs = inbox.jobs
                inbox.commands.removeAll()
                inbox.jobs.removeAll()
                if case .running = inbox.state { return (commands, jobs, false) }
                return (commands, jobs, true)
            }
            for command in commands {
                self.handle(command, transfers: transfers, stopping: stopping)
            }
            for job in jobs {
                ExecutorJob(job).runSynchronously(on: executor)
            }
            if stopping { break }

            // Returns early when a socket is ready, a libcurl timeout falls due, or `wakeup()` was
            // called (a transfer just added has asked for a timeout of zero); at once when the
            // jobs just run queued more work.
            let pending = self.inbox.withLock { !$0.jobs.isEmpty || !$0.commands.isEmpty }
            let result = self.multi.wait(maximum: pending ? 0 : 1000)
            if result != CURLM_OK {
                self.logger.warning("curl_multi_socket_action failed", metadata: ["curl.multi_code": "\(result.rawValue)"])
            }
            self.collectFinished(transfers)
        }

        let shutdownError = HTTPClientError(.shutdown, message: "the HTTP client was shut down")
        for transfer in transfers.active.values {
            self.release(transfer, transfers: transfers)
            transfer.fail(shutdownError)
        }
        transfers.active.removeAll()
        transfers.idleHandles.removeAll()
        // Another thread may be given this one's id once it has ended.
        self.loopThread.store(0, ordering: .relaxed)
        let (waiters, jobs) = self.inbox.withLock { inbox in
            inbox.state = .exited
            let waiters = inbox.exitWaiters
            inbox.exitWaiters.removeAll()
            let jobs = inbox.jobs
            inbox.jobs.removeAll()
            return (waiters, jobs)
        }
        // Tasks that preferred this thread and are still to run go on elsewhere.
        for job in jobs {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
        self.logger.debug("HTTP client loop stopped")
        for waiter in waiters {
            waiter.resume()
        }
    }

    private func handle(_ command: Command, transfers: Transfers, stopping: Bool) {
        switch command {
        case .start(let transfer):
            transfer.started = true
            if transfer.cancelledBeforeStart {
                transfer.fail(CancellationError())
            } else if stopping {
                transfer.fail(HTTPClientError(.shutdown, message: "the HTTP client was shut down"))
            } else {
                self.begin(transfer, transfers: transfers)
            }
        case .cancel(let transfer):
            if !transfer.started {
                transfer.cancelledBeforeStart = true
            } else if let easy = transfer.easy, transfers.active[easy.raw] === transfer {
                transfers.active[easy.raw] = nil
                self.release(transfer, transfers: transfers)
                transfer.fail(CancellationError())
            }
        }
    }

    private func begin(_ transfer: CurlTransfer, transfers: Transfers) {
        guard let easy = transfers.idleHandles.popLast() ?? CurlEasyHandle() else {
            transfer.fail(HTTPClientError(.internalError, message: "curl_easy_init failed"))
            return
        }
        transfer.easy = easy
        do {
            try self.configure(easy, for: transfer)
        } catch {
            self.release(transfer, transfers: transfers, added: false)
            transfer.fail(error)
            return
        }
        transfer.request.body = nil  // libcurl copied it (CURLOPT_COPYPOSTFIELDS)
        let added = curl_multi_add_handle(self.multi.raw, easy.raw)
        guard added == CURLM_OK else {
            self.release(transfer, transfers: transfers, added: false)
            let message = curl_multi_strerror(added).map { String(cString: $0) } ?? "curl_multi_add_handle failed"
            transfer.fail(HTTPClientError(.internalError, curlCode: Int(added.rawValue), message: message))
            return
        }
        transfers.active[easy.raw] = transfer
    }

    private func collectFinished(_ transfers: Transfers) {
        var easy: UnsafeMutableRawPointer?
        var result = CURLE_OK
        while rq_multi_next_done(self.multi.raw, &easy, &result) == 1 {
            guard let raw = easy, let transfer = transfers.active.removeValue(forKey: raw) else { continue }
            transfer.complete(result: result)
            self.release(transfer, transfers: transfers)
        }
    }

    /// Detaches the transfer from libcurl and keeps its easy handle for reuse.
    private func release(_ transfer: CurlTransfer, transfers: Transfers, added: Bool = true) {
        let easy = transfer.easy
        transfer.easy = nil
        if let easy, added {
            curl_multi_remove_handle(self.multi.raw, easy.raw)
        }
        // libcurl reads the header list until the handle leaves the multi handle or is reset.
        easy?.reset()
        if let list = transfer.headerList {
            curl_slist_free_all(list)
            transfer.headerList = nil
        }
        guard let easy else { return }
        if transfers.idleHandles.count < self.configuration.idleHandlePoolSize {
            transfers.idleHandles.append(easy)
        }
    }
}
