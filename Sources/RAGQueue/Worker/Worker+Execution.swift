import Logging
import Tracing

extension Worker {
    /// Runs one attempt and writes its outcome, unless the lease was lost; traced as a consumer span
    /// continuing the trace the job was enqueued under (`ClaimedJob.traceParent`), after a span of
    /// its wait in the queue as the queue recorded it.
    func execute(_ job: ClaimedJob, flag: CancelFlag) async {
        let parent = InstrumentationContext.continuing(job.traceParent)
        let wait = startSpan("queue wait", context: parent, at: DefaultTracerClock.Timestamp.epoch(milliseconds: job.enqueuedAtMilliseconds))
        wait.attributes["messaging.message.id"] = job.id.rawValue
        wait.end(at: DefaultTracerClock.Timestamp.epoch(milliseconds: job.claimedAtMilliseconds))
        let span = startSpan("process \(job.kind)", context: parent, ofKind: .consumer)
        span.attributes["messaging.system"] = "ragqueue"
        span.attributes["messaging.operation.type"] = "process"
        span.attributes["messaging.message.id"] = job.id.rawValue
        span.attributes["ragqueue.job.attempt"] = job.attempt
        span.attributes["ragqueue.worker.id"] = configuration.id
        if let tenant = job.tenant { span.attributes["ragqueue.tenant"] = tenant }
        await InstrumentationContext.$current.withValue(span.context) {
            await attempt(job, flag: flag, span: span)
        }
        span.end()
    }

    /// One attempt, under its span.
    private func attempt(_ job: ClaimedJob, flag: CancelFlag, span: any Span) async {
        var jobLogger = self.logger
        jobLogger[metadataKey: "job.id"] = .string(job.id.rawValue)
        jobLogger[metadataKey: "job.kind"] = .string(job.kind)
        jobLogger[metadataKey: "job.attempt"] = "\(job.attempt)"
        if let requestID = job.requestID { jobLogger[metadataKey: "request.id"] = .string(requestID) }
        let logger = jobLogger
        logger.debug("job started")
        metrics.claimed(job)

        let timings = TimingRecorder()
        let tokens = TokenSink(store: store, id: job.id, attempt: job.attempt, logger: logger)
        let outcome: Result<[UInt8], any Error>
        if let handler = handlers[job.kind] {
            let context = JobContext(logger: logger, timings: timings, cancelFlag: flag, tokens: tokens)
            do {
                outcome = .success(try await handler.run(job, context: context))
            } catch {
                outcome = .failure(error)
            }
        } else {
            outcome = .failure(JobFailure(code: "unknown_kind", message: "no handler for job kind '\(job.kind)'", transient: false))
        }
        await conclude(job, outcome: outcome, flag: flag, span: span, timings: timings, tokens: tokens, logger: logger)
    }

    /// Writes an attempt's outcome (complete, fail, release or nothing when the lease was lost).
    /// A function of its own: an async function's frame holds the locals of all its awaits for the
    /// whole call, and these would otherwise be held by every job while its handler waits on the
    /// backends (docs/benchmarks.md, "Memory per job in flight").
    private func conclude(
        _ job: ClaimedJob, outcome: Result<[UInt8], any Error>, flag: CancelFlag, span: any Span, timings: TimingRecorder,
        tokens: TokenSink, logger: Logger
    ) async {
        if flag.reason != .leaseLost { metrics.used(stages: timings.snapshot, usage: timings.usage) }
        span.attributes["gen_ai.usage.input_tokens"] = Int(timings.usage[JobUsage.promptTokens] + timings.usage[JobUsage.embeddingTokens])
        span.attributes["gen_ai.usage.output_tokens"] = Int(timings.usage[JobUsage.completionTokens])
        if case .failure(let error) = outcome {
            span.recordError(error)
            span.setStatus(.init(code: .error, message: JobFailure(for: error).code))
        }
        switch (flag.reason, outcome) {
        case (.leaseLost?, _):
            logger.warning("job abandoned: its lease was taken over")
        case (_, .success(let result)):
            // Finished work is kept, even when a cancel or a shutdown arrived during the last step.
            let written: Void? = await persist(job, "complete", logger: logger) { () async throws(QueueError) in
                try await self.store.complete(job.lease, result: result, timings: timings.snapshot, usage: timings.usage, cache: timings.cacheWrite)
            }
            if written != nil { recordEnd(job, outcome: "succeeded", usage: timings.usage, logger: logger) }
        case (.shutdown?, .failure):
            await persist(job, "release", logger: logger) { () async throws(QueueError) in try await self.store.release(job.lease) }
            logger.info("job handed back for another worker")
        case (.canceled?, .failure):
            let failure = JobFailure(code: "canceled", message: "canceled by request", transient: false, attempt: job.attempt)
            let ended = await persist(job, "fail", logger: logger) { () async throws(QueueError) in
                try await self.store.fail(job.lease, failure: failure, retryAtMilliseconds: 0, timings: timings.snapshot, usage: timings.usage)
            }
            if ended != nil, await tokens.isStarted { await tokens.append([.error(code: failure.code, message: failure.message, final: true)]) }
            if ended != nil { recordEnd(job, outcome: "canceled", usage: timings.usage, logger: logger) }
        case (nil, .failure(let error)):
            var classified = JobFailure(for: error)
            classified.attempt = job.attempt
            let failure = classified
            // An outage is the backends' failure, not the job's: while the circuit is open, the job
            // goes back to the queue without spending an attempt.
            if failure.isBackendOutage, let circuit = try? await store.reportBackendFailure(), circuit.isOpen(at: clock.nowMilliseconds()) {
                let released: Void? = await persist(job, "release", logger: logger) { () async throws(QueueError) in try await self.store.release(job.lease) }
                if released != nil {
                    logger.warning("backends failing: job handed back without spending an attempt", metadata: [
                        "error.code": .string(failure.code), "circuit.open_ms": "\(circuit.openUntilMilliseconds - clock.nowMilliseconds())",
                    ])
                    if await tokens.isStarted { await tokens.append([.error(code: failure.code, message: failure.message, final: false)]) }
                }
                return
            }
            var generator = SystemRandomNumberGenerator()
            let delay = queue.retry.delay(afterAttempt: job.attempt, retryAfter: failure.retryAfter, using: &generator)
            let retryAt = clock.nowMilliseconds() + delay.milliseconds
            let outcome = await persist(job, "fail", logger: logger) { () async throws(QueueError) in
                try await self.store.fail(job.lease, failure: failure, retryAtMilliseconds: retryAt, timings: timings.snapshot, usage: timings.usage)
            }
            if let outcome {
                metrics.attemptFailed(code: failure.code, final: outcome != .scheduled)
                logger.log(level: outcome == .scheduled ? .info : .warning, "job attempt failed", metadata: [
                    "error.code": .string(failure.code), "outcome": "\(outcome)",
                ])
                if outcome != .scheduled { recordEnd(job, outcome: "failed", usage: timings.usage, logger: logger) }
            }
            // The stream says whether another attempt follows, as the queue decided.
            if let result = outcome, await tokens.isStarted {
                await tokens.append([.error(code: failure.code, message: failure.message, final: result != .scheduled)])
            }
        }
    }

    /// Records a job's end by this worker: its histogram, and one info line with what it took.
    private func recordEnd(_ job: ClaimedJob, outcome: String, usage: JobUsage, logger: Logger) {
        let duration = max(0, clock.nowMilliseconds() - job.createdAtMilliseconds)
        metrics.ended(outcome: outcome, milliseconds: duration)
        var metadata: Logger.Metadata = [
            "outcome": .string(outcome),
            "duration_ms": .stringConvertible(duration),
            "queue_wait_ms": .stringConvertible(job.queueWaitMilliseconds),
            "tokens": .stringConvertible(usage[JobUsage.tokens]),
        ]
        if let tenant = job.tenant { metadata["tenant"] = .string(tenant) }
        logger.info("job ended", metadata: metadata)
    }

    /// Writes an outcome, retrying while the store is unreachable, for at most one lease: past that
    /// the job will have been reclaimed and the write would be refused anyway. Returns what the write
    /// returned, or nil when it could not be written. Traced as a client span named `operation`.
    @discardableResult
    private func persist<T: Sendable>(
        _ job: ClaimedJob, _ operation: String, logger: Logger, _ write: @escaping @Sendable () async throws(QueueError) -> T
    ) async -> T? {
        let span = startSpan("queue \(operation)", ofKind: .client)
        span.attributes["db.system.name"] = "valkey"
        span.attributes["db.operation.name"] = operation
        defer { span.end() }
        let clock = ContinuousClock()
        let deadline = clock.now + queue.lease
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try await write()
            } catch where error.isBackendUnavailable && clock.now + pause < deadline {
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            } catch where error.isStaleToken || error.isAlreadyEnded || error.isInvalidState {
                // The lease was taken back (expired while this worker was stalled or cut off from Valkey):
                // the job is queued again, runs under a newer token, or has ended. The queue keeps one result.
                logger.warning("write refused: the lease was taken over", metadata: ["error": "\(error)"])
                return nil
            } catch {
                logger.error("cannot record the job's outcome", metadata: ["error": "\(error)"])
                return nil
            }
        }
    }
}
