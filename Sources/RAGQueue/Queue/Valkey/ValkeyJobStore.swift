import Foundation
import Valkey

/// The job queue on Valkey: every state change is one Lua script, run atomically by the server.
///
/// The store owns everything the queue keeps in Valkey: job records and their indexes, events,
/// token streams, the webhook outbox and rate-limit buckets. No other type sends a command or
/// spells a key (`QueueKeys`). See `docs/queue.md` for the key layout and each script's contract.
public final class ValkeyJobStore: QueueStore {
    /// The queue's settings.
    public let configuration: QueueConfiguration
    /// The queue's key names.
    let keys: QueueKeys
    /// The client used for every command.
    let client: ValkeyClient
    let clock: any WallClock
    let eventHub: ValkeyJobEvents
    /// Submits waiting to go to Valkey together (`enqueue`).
    let submissions = GroupCommit<Submission, (ValkeyReply, ValkeyReply?), QueueError>(maximumBatch: 128) {
        .corruptRecord("enqueue returned no reply for a job")
    }
    /// Completions waiting to go to Valkey together (`complete`).
    let completions = GroupCommit<Completion, Void, QueueError>(maximumBatch: 128) {
        .corruptRecord("complete returned no reply for a job")
    }

    /// The longest single wait on the server in `waitForWork`.
    static let maximumBlock: Duration = .seconds(5)

    /// A store for the queue that `configuration` names, on the Valkey server at `url`
    /// (`valkey://[user:password@]host:port[/db]`, `redis://`, `unix:///path`). Connections open on
    /// first use; `close()` releases them. With `serverWait`, a call made while the server cannot be
    /// reached fails as `backendUnavailable` after that long (a connection attempt included), and
    /// one that gets no answer (a frozen or cut-off server) after 1.5 times that, at least 0.75 s,
    /// instead of waiting up to 10 s each. With `failFast` too, once one call has failed so, the
    /// next ones fail at once until a probe (every 100 ms) hears from the server again: what a
    /// server answering people wants.
    public convenience init(
        url: String, configuration: QueueConfiguration = .init(), clock: any WallClock = SystemWallClock(), serverWait: Duration? = nil,
        failFast: Bool = false
    ) throws(QueueError) {
        var valkey: ValkeyConfiguration
        do {
            valkey = try ValkeyConfiguration(url: url)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        // In a cluster, the connections go to the node serving the queue's hash tag.
        valkey.routingKey = try configuration.keys().base
        if let serverWait {
            valkey.reconnect.maximumWait = serverWait
            valkey.connectTimeout = min(valkey.connectTimeout, serverWait)
            valkey.commandTimeout = max(.milliseconds(750), serverWait * 1.5)
            if failFast { valkey.failFast = .milliseconds(100) }
        }
        // A durability wait holds its connection on the server: the socket must outlast it.
        if configuration.durability != .none {
            valkey.commandTimeout = max(valkey.commandTimeout, configuration.durabilityTimeout + .milliseconds(250))
        }
        try self.init(client: ValkeyClient(configuration: valkey), configuration: configuration, clock: clock)
    }

    /// A store for the queue that `configuration` names, on `client`.
    init(client: ValkeyClient, configuration: QueueConfiguration = .init(), clock: any WallClock = SystemWallClock()) throws(QueueError) {
        try configuration.validate()
        self.configuration = configuration
        self.keys = try configuration.keys()
        self.client = client
        self.clock = clock
        self.eventHub = ValkeyJobEvents(configuration: client.configuration, channel: keys.events)
    }

    /// Closes the event subscription and every connection; calls after this fail as `backendUnavailable`.
    public func close() {
        eventHub.close()
        client.close()
    }

    /// The Valkey server's address without credentials, safe to log.
    public var redactedURL: String { client.configuration.redactedDescription }

    /// Checks that `url` names a Valkey server this store can use; the message says what is wrong.
    public static func checkURL(_ url: String) throws(QueueError) {
        do {
            _ = try ValkeyConfiguration(url: url)
        } catch {
            throw .invalidConfiguration(error.message)
        }
    }

    /// Checks that the Valkey server at `url` answers `PING` within `timeout`, on a connection of its own.
    public static func checkReachable(url: String, timeout: Duration = .seconds(2)) async throws(QueueError) {
        _ = try await probe(url: url, timeout: timeout, ValkeyCommand("PING"))
    }

    /// The process id of the Valkey server answering at `url` (`INFO server`), or nil when none
    /// answers within `timeout`: how a launcher tells its own child from another server on the port.
    public static func serverProcessID(url: String, timeout: Duration = .milliseconds(200)) async -> Int32? {
        guard let info = try? await probe(url: url, timeout: timeout, ValkeyCommand("INFO", "server")).string else { return nil }
        return infoField("process_id", in: info).flatMap { Int32($0) }
    }

    /// `command`'s reply from the Valkey server at `url`, on a client of its own that waits at most
    /// `timeout` for the connection and the answer.
    static func probe(url: String, timeout: Duration, _ command: ValkeyCommand) async throws(QueueError) -> ValkeyReply {
        var configuration: ValkeyConfiguration
        do {
            configuration = try ValkeyConfiguration(url: url)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        configuration.poolSize = 1
        configuration.connectTimeout = min(configuration.connectTimeout, timeout)
        configuration.reconnect.maximumWait = timeout
        configuration.commandTimeout = timeout
        let client = ValkeyClient(configuration: configuration)
        defer { client.close() }
        do {
            return try await client.send(command)
        } catch {
            throw .backend(error)
        }
    }

    /// The value of field `name` in an `INFO` reply (`name:value` lines), without surrounding blanks.
    static func infoField(_ name: String, in info: String) -> Substring? {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
            return line.dropFirst(name.count + 1).drop { $0 == " " }.prefix { !$0.isWhitespace }
        }
        return nil
    }

    /// Submits go to Valkey in groups, as completions do: one `enqueue` call for all those a
    /// process had ready while the previous call was in flight, each handled in turn as if alone;
    /// a durability wait covers the whole call.
    public func enqueue(_ request: EnqueueRequest) async throws(QueueError) -> EnqueueResult {
        let (id, submission) = try submission(of: request)
        let (reply, confirmation) = try await submissions.submit(submission) { batch in await storeSubmissions(batch) }.get()
        let (code, detail) = try ScriptCode.check(reply, jobID: id)
        guard let detail, let returned = JobID(detail) else {
            throw .corruptRecord("enqueue returned no job id")
        }
        if let confirmation { try checkDurability(confirmation, of: returned) }
        return EnqueueResult(id: returned, existing: code == .okExisting, cached: code == .okCached, coalesced: code == .okCoalesced)
    }

    /// A new job's id and its submit to `enqueue`.
    func submission(of request: EnqueueRequest) throws(QueueError) -> (JobID, Submission) {
        let id = JobID()
        let maxAttempts = try request.checked(defaultAttempts: configuration.maxAttempts)
        let now = clock.nowMilliseconds()
        let tenant = request.tenantKey
        let idempotencyKey = request.idempotencyKey.map { keys.idempotency($0, tenant: request.tenant) }
        let budget = request.budget
        let budgetKey = budget.map { keys.budget(tenant, period: $0.period.id(at: now), unit: $0.unit.rawValue) }
        let arguments: [any ValkeyArgument] = [
            keys.base, id.rawValue, request.kind, request.payload, now, maxAttempts, request.requestID ?? "", request.tenant ?? "",
            idempotencyKey == nil ? "0" : "1", configuration.failureTTL.milliseconds, configuration.maxDepth, request.priority, configuration.priorityStep.milliseconds,
            request.tenantPolicy.map { String($0.weight) } ?? "", request.tenantPolicy.map { String($0.maxRunning ?? 0) } ?? "",
            budget?.unit.rawValue ?? "", budget?.limit ?? 0, budget?.amount ?? 0, budget.map { $0.period.remaining(at: now) } ?? 0,
            request.answerCache?.key ?? "", request.answerCache?.collection ?? "", request.answerCache?.ttl.milliseconds ?? 0,
            request.answerCache?.lookup == true ? "1" : "0", configuration.resultTTL.milliseconds, request.answerCache?.scope ?? "",
            keys.events, request.traceParent ?? "",
        ]
        let submission = Submission(
            keys: [keys.job(id), idempotencyKey ?? keys.idempotencyPrefix, budgetKey ?? keys.base + "budget"],
            arguments: arguments.map(\.valkeyBytes)
        )
        return (id, submission)
    }

    /// One job's submit, as `enqueue` takes it (`QueueScripts.enqueueKeyStride` keys and
    /// `enqueueStride` arguments, as bytes).
    struct Submission: Sendable {
        let keys: [String]
        let arguments: [[UInt8]]
    }

    /// Runs `batch` in one `enqueue` call, followed by the durability wait when the queue asks for
    /// one; one outcome per submit, in order: its reply and the wait's.
    func storeSubmissions(_ batch: [Submission]) async -> [Result<(ValkeyReply, ValkeyReply?), QueueError>] {
        do throws(QueueError) {
            let (reply, confirmation) = try await runConfirmed(
                QueueScripts.enqueue, keys: batch.flatMap(\.keys), arguments: batch.flatMap { $0.arguments as [any ValkeyArgument] }
            )
            guard let replies = reply.array, replies.count == batch.count else {
                throw QueueError.corruptRecord("unexpected enqueue reply")
            }
            return replies.map { .success(($0, confirmation)) }
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    /// The command that waits for `configuration.durability` on the connection that wrote.
    private var durabilityCommand: ValkeyCommand? {
        let timeout = configuration.durabilityTimeout.milliseconds
        return switch configuration.durability {
        case .none: nil
        case .local: ValkeyCommand("WAITAOF", 1, 0, timeout)
        case .replica: ValkeyCommand("WAIT", 1, timeout)
        }
    }

    /// `script`, followed on its connection by the durability wait when the queue asks for one.
    private func runConfirmed(_ script: ValkeyScript, keys: [String], arguments: [any ValkeyArgument]) async throws(QueueError) -> (ValkeyReply, ValkeyReply?) {
        guard let durabilityCommand else { return (try await run(script, keys: keys, arguments: arguments), nil) }
        do {
            let (reply, confirmation) = try await client.run(script, keys: keys, arguments: arguments, confirmedBy: durabilityCommand)
            return (reply, confirmation)
        } catch {
            throw .backend(error)
        }
    }

    /// Throws `durabilityUnconfirmed` unless `confirmation` (`WAITAOF`'s or `WAIT`'s reply) shows
    /// the durability the queue asks for.
    private func checkDurability(_ confirmation: ValkeyReply, of id: JobID) throws(QueueError) {
        let timeout = "\(configuration.durabilityTimeout.milliseconds) ms"
        switch (configuration.durability, confirmation) {
        case (_, .error(let message)):
            throw .durabilityUnconfirmed(id, "Valkey refused the wait: \(message)")
        case (.local, .array(let counts)) where (counts.first?.int ?? 0) >= 1:
            return
        case (.local, _):
            throw .durabilityUnconfirmed(id, "not in the append-only file within \(timeout)")
        case (.replica, .integer(let replicas)) where replicas >= 1:
            return
        case (.replica, _):
            throw .durabilityUnconfirmed(id, "no replica acknowledged it within \(timeout)")
        case (.none, _):
            return
        }
    }

    /// Checks that Valkey can give the queue's durability: `local` needs the append-only file on
    /// (thrown otherwise). Returns a warning for `replica` while no replica is connected (submits
    /// are refused as unconfirmed until one is).
    public func checkDurability() async throws(QueueError) -> String? {
        switch configuration.durability {
        case .none:
            return nil
        case .local:
            if case .error(let message) = try await sendReply(ValkeyCommand("WAITAOF", 1, 0, 1)) {
                throw .invalidConfiguration("durability local needs Valkey's append-only file (appendonly yes): \(message)")
            }
            return nil
        case .replica:
            // `slaveN:ip=...,state=online,...`: only a replica past its initial sync acknowledges writes.
            let info = try await send(ValkeyCommand("INFO", "replication")).string ?? ""
            let online = info.split(whereSeparator: \.isNewline).count { $0.hasPrefix("slave") && $0.contains("state=online") }
            return online == 0 ? "durability replica: Valkey has no replica online; submits are refused until one is" : nil
        }
    }

    public func claim(workerID: String, count: Int) async throws(QueueError) -> ClaimBatch {
        guard count > 0 else { return ClaimBatch(jobs: [], nextDueMilliseconds: nil) }
        let now = clock.nowMilliseconds()
        let reply = try await run(
            QueueScripts.claim,
            keys: [keys.fence],
            arguments: [keys.base, now, configuration.lease.milliseconds, workerID, count, keys.events]
        )
        guard let parts = reply.array, let nextDue = parts.first?.int,
              (parts.count - 1) % QueueScripts.claimStride == 0
        else { throw .corruptRecord("unexpected claim reply") }
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity((parts.count - 1) / QueueScripts.claimStride)
        var index = 1
        while index < parts.count {
            let f = parts[index..<index + QueueScripts.claimStride].map { $0 }
            index += QueueScripts.claimStride
            guard let idText = f[0].string, let id = JobID(idText), let token = f[1].int, let attempt = f[2].int,
                  let maxAttempts = f[3].int, let kind = f[4].string, case .bulk(let payload) = f[5],
                  let created = f[6].int
            else { throw .corruptRecord("unexpected claimed job in reply") }
            jobs.append(ClaimedJob(
                id: id, token: token, attempt: Int(attempt), maxAttempts: Int(maxAttempts), kind: kind,
                payload: payload, createdAtMilliseconds: created, enqueuedAtMilliseconds: f[9].int ?? created,
                claimedAtMilliseconds: now,
                requestID: f[7].string.flatMap { $0.isEmpty ? nil : $0 },
                traceParent: f[12].string.flatMap { $0.isEmpty ? nil : $0 },
                tenant: f[8].string.flatMap { $0.isEmpty ? nil : $0 },
                priority: f[10].int.map { Int($0) } ?? EnqueueRequest.defaultPriority,
                answerScope: f[11].string.flatMap { $0.isEmpty ? nil : $0 }
            ))
        }
        return ClaimBatch(jobs: jobs, nextDueMilliseconds: nextDue >= 0 ? nextDue : nil)
    }

    public func makeWorkWaiter() -> any WorkWaiter {
        ValkeyWorkWaiter(connection: client.dedicatedConnection(blockingFor: Self.maximumBlock, label: "valkey.wait"), marker: keys.marker)
    }

    public func renew(_ leases: [JobLease]) async throws(QueueError) -> [LeaseRenewal] {
        guard !leases.isEmpty else { return [] }
        var arguments: [any ValkeyArgument] = [clock.nowMilliseconds(), configuration.lease.milliseconds, keys.jobPrefix]
        for lease in leases {
            arguments.append(lease.id.rawValue)
            arguments.append(lease.token)
        }
        let reply = try await run(QueueScripts.renew, keys: [keys.active], arguments: arguments)
        guard let codes = reply.array?.compactMap(\.int), codes.count == leases.count else {
            throw .corruptRecord("unexpected renew reply")
        }
        return codes.map { code in
            switch code {
            case 0: .renewed
            case 1: .cancelRequested
            default: .lost
            }
        }
    }

    /// Completions go to Valkey in groups: one `complete` call for all a worker process had ready
    /// while the previous call was in flight (`GroupCommit`), each job still checked and answered
    /// alone. Alone, a completion goes at once.
    public func complete(
        _ lease: JobLease, result: [UInt8], timings: [String: Double], usage: JobUsage, cache: AnswerCacheWrite
    ) async throws(QueueError) {
        let completion = Completion(
            lease: lease, result: result, timings: Self.encode(timings), usage: usage.json, vector: cache.vector.map(SimilarAnswers.pack) ?? [],
            reused: cache.reused?.job.rawValue ?? "", similarity: cache.reused.map { String($0.similarity) } ?? "",
            reusedCost: cache.reused?.costMicroUSD ?? 0
        )
        try await completions.submit(completion) { batch in await storeCompletions(batch) }.get()
    }

    /// One job's completion, as `complete` takes it (`QueueScripts.completeStride` arguments).
    struct Completion: Sendable {
        let lease: JobLease
        let result: [UInt8]
        let timings: String
        let usage: String
        let vector: [UInt8]
        let reused: String
        let similarity: String
        let reusedCost: Int64

        var arguments: [any ValkeyArgument] {
            [lease.id.rawValue, lease.token, result, timings, usage, vector, reused, similarity, reusedCost]
        }
    }

    /// Stores `batch` in one `complete` call; one outcome per completion, in order.
    func storeCompletions(_ batch: [Completion]) async -> [Result<Void, QueueError>] {
        var arguments: [any ValkeyArgument] = [
            keys.base, clock.nowMilliseconds(), configuration.resultTTL.milliseconds, keys.events, SimilarAnswers.capacity,
        ]
        arguments.reserveCapacity(arguments.count + batch.count * QueueScripts.completeStride)
        for completion in batch { arguments += completion.arguments }
        let replies: [ValkeyReply]
        do throws(QueueError) {
            let reply = try await run(QueueScripts.complete, keys: batch.map { keys.job($0.lease.id) }, arguments: arguments)
            guard let parts = reply.array, parts.count == batch.count else {
                throw QueueError.corruptRecord("unexpected complete reply")
            }
            replies = parts
        } catch {
            return batch.map { _ in .failure(error) }
        }
        return zip(batch, replies).map { completion, reply in
            Result { () throws(QueueError) in _ = try ScriptCode.check(reply, jobID: completion.lease.id) }
        }
    }

    public func fail(
        _ lease: JobLease, failure: JobFailure, retryAtMilliseconds: Int64, timings: [String: Double], usage: JobUsage
    ) async throws(QueueError) -> FailureOutcome {
        let error: [UInt8]
        do {
            error = Array(try JSONEncoder().encode(failure))
        } catch {
            throw .invalidPayload("cannot encode failure: \(error)", jobID: lease.id)
        }
        let reply = try await run(
            QueueScripts.fail,
            keys: [keys.job(lease.id)],
            arguments: [
                keys.base, lease.id.rawValue, lease.token, clock.nowMilliseconds(), error, failure.transient ? "1" : "0",
                retryAtMilliseconds, configuration.failureTTL.milliseconds, keys.events, configuration.resultTTL.milliseconds,
                Self.encode(timings), usage.json, failure.isBackendOutage ? configuration.circuit.maximumRefunds : 0,
            ]
        )
        let (_, status) = try ScriptCode.check(reply, jobID: lease.id)
        switch status {
        case "scheduled": return .scheduled
        case "canceled": return .canceled
        case "failed": return .failed
        default: throw .corruptRecord("fail returned status \(status ?? "none")", jobID: lease.id)
        }
    }

    public func release(_ lease: JobLease) async throws(QueueError) {
        let reply = try await run(
            QueueScripts.release,
            keys: [keys.job(lease.id)],
            arguments: [keys.base, lease.id.rawValue, lease.token, clock.nowMilliseconds(), keys.events, configuration.resultTTL.milliseconds]
        )
        _ = try ScriptCode.check(reply, jobID: lease.id)
    }

    public func cancel(_ id: JobID) async throws(QueueError) -> CancelOutcome {
        let reply = try await run(
            QueueScripts.cancel,
            keys: [keys.job(id)],
            arguments: [keys.base, id.rawValue, clock.nowMilliseconds(), configuration.resultTTL.milliseconds, keys.events]
        )
        let (_, status) = try ScriptCode.check(reply, jobID: id)
        return status == "canceled" ? .canceled : .requested
    }

    public func retry(_ id: JobID) async throws(QueueError) {
        let reply = try await run(
            QueueScripts.retry, keys: [keys.job(id)],
            arguments: [keys.base, id.rawValue, clock.nowMilliseconds(), keys.events, configuration.maxAttempts, configuration.failureTTL.milliseconds]
        )
        _ = try ScriptCode.check(reply, jobID: id)
    }

    public func cancelWaiting() async throws(QueueError) -> Int {
        let reply = try await run(
            QueueScripts.cancelWaiting, keys: [keys.waiting],
            arguments: [keys.base, clock.nowMilliseconds(), configuration.resultTTL.milliseconds, keys.events]
        )
        guard let count = reply.int else { throw .corruptRecord("unexpected cancel_waiting reply") }
        return Int(count)
    }

    public func reclaimExpired() async throws(QueueError) -> ReclaimReport {
        let reply = try await run(
            QueueScripts.reclaim,
            keys: [keys.active],
            arguments: [
                keys.base, clock.nowMilliseconds(), keys.events, configuration.failureTTL.milliseconds,
                configuration.resultTTL.milliseconds, 1000, configuration.heartbeat.milliseconds, configuration.maxCrashes,
            ]
        )
        guard let numbers = reply.array?.compactMap(\.int), numbers.count == 6 else {
            throw .corruptRecord("unexpected reclaim reply")
        }
        return ReclaimReport(
            requeued: Int(numbers[0]), failed: Int(numbers[1]), canceled: Int(numbers[2]), promoted: Int(numbers[3]),
            crashed: Int(numbers[4]), outage: .milliseconds(numbers[5])
        )
    }

    public func job(_ id: JobID) async throws(QueueError) -> JobRecord? {
        try Self.record(id, from: try await send(ValkeyCommand("HGETALL", keys.job(id))))
    }

    public func runningJobs(limit: Int) async throws(QueueError) -> [JobRecord] {
        let ids = (try await send(ValkeyCommand("ZRANGE", keys.active, 0, max(0, limit - 1))).array ?? [])
            .compactMap { $0.string.flatMap(JobID.init) }
        return try await records(of: ids).filter { $0.status == .started }
    }

    /// The records of `ids` that still exist, in one pipeline.
    private func records(of ids: [JobID]) async throws(QueueError) -> [JobRecord] {
        guard !ids.isEmpty else { return [] }
        let replies = await client.pipeline(ids.map { ValkeyCommand("HGETALL", keys.job($0)) })
        var records: [JobRecord] = []
        for (id, result) in zip(ids, replies) {
            let reply: ValkeyReply
            do {
                reply = try result.get().throwingServerError()
            } catch {
                throw .backend(error)
            }
            if let record = try Self.record(id, from: reply) { records.append(record) }
        }
        return records
    }

    public func retireAnswers(of collection: String) async throws(QueueError) -> Int64 {
        guard let version = try await send(ValkeyCommand("HINCRBY", keys.collections, collection, 1)).int else {
            throw .corruptRecord("unexpected HINCRBY reply")
        }
        return version
    }

    public func similarAnswers(in scope: String, after cursor: String?) async throws(QueueError) -> SimilarAnswers {
        let reply = try await send(ValkeyCommand("XRANGE", keys.similarAnswers(scope), cursor.map { "(" + $0 } ?? "-", "+"))
        var entries: [SimilarAnswers.Entry] = []
        var last: String?
        for item in reply.array ?? [] {
            guard let parts = item.array, parts.count == 2, let id = parts[0].string, let fields = parts[1].array else {
                throw .corruptRecord("unexpected XRANGE reply")
            }
            last = id
            var answer: String?
            var vector: [Float]?
            for index in stride(from: 0, to: fields.count - 1, by: 2) {
                switch fields[index].string {
                case "answer": answer = fields[index + 1].string
                case "vector": if case .bulk(let bytes) = fields[index + 1] { vector = SimilarAnswers.unpack(bytes) }
                default: break
                }
            }
            if let answer, let vector { entries.append(SimilarAnswers.Entry(answer: answer, vector: vector)) }
        }
        return SimilarAnswers(entries: entries, cursor: last ?? cursor)
    }

    public func cachedAnswer(_ reference: String) async throws(QueueError) -> CachedAnswer? {
        let fields = try await send(ValkeyCommand("HMGET", keys.answerPrefix + reference, "result", "job", "cost")).array ?? []
        guard fields.count == 3, case .bulk(let result) = fields[0], let job = fields[1].string.flatMap(JobID.init) else { return nil }
        return CachedAnswer(result: result, job: job, costMicroUSD: fields[2].int ?? 0)
    }

    public func jobs(matching filter: JobFilter, after cursor: JobCursor?, limit: Int) async throws(QueueError) -> JobPage {
        let limit = max(1, limit)
        var cursor = cursor
        var ids: [JobID] = []
        let index = switch filter.orderedBy {
        case .created: keys.recent
        case .ended: keys.failed
        case .leaseDeadline: keys.active
        case .due: keys.scheduled
        }
        // Each call looks at a bounded number of entries; a rare filter takes several, and a page
        // stops after `listingCalls` of them with a cursor to go on from.
        for _ in 0..<Self.listingCalls {
            let reply = try await run(
                QueueScripts.listJobs, keys: [index],
                arguments: [
                    keys.base, cursor.map { String($0.milliseconds) } ?? "+inf", cursor?.id.rawValue ?? "", limit - ids.count,
                    filter.status?.rawValue ?? "", filter.tenant ?? "", filter.text ?? "", 1000,
                ]
            )
            guard let parts = reply.array, parts.count >= 2 else { throw .corruptRecord("unexpected list_jobs reply") }
            ids += parts.dropFirst(2).compactMap { $0.string.flatMap(JobID.init) }
            guard let milliseconds = parts[0].string.flatMap(Double.init), let id = parts[1].string.flatMap(JobID.init) else {
                cursor = nil
                break
            }
            cursor = JobCursor(milliseconds: Int64(milliseconds), id: id)
            if ids.count >= limit { break }
        }
        // A record that expired since the script saw it is left out.
        return JobPage(records: try await records(of: ids), next: cursor)
    }

    /// Script calls of a page of `jobs(matching:)`, each looking at up to 1,000 entries: a page
    /// looks at 3,000 jobs at most (about 25 ms with a text filter on a small machine), then hands
    /// on a cursor.
    static let listingCalls = 3

    public func jobs(createdFrom start: Date, until end: Date) async throws(QueueError) -> [JobRecord] {
        let reply = try await send(ValkeyCommand("ZRANGEBYSCORE", keys.recent, start.epochMilliseconds, "(\(end.epochMilliseconds)"))
        let ids = (reply.array ?? []).compactMap { $0.string.flatMap(JobID.init) }
        var found: [JobRecord] = []
        for start in stride(from: 0, to: ids.count, by: 1000) {
            found += try await records(of: Array(ids[start..<min(ids.count, start + 1000)]))
        }
        return found.sorted { ($0.createdAt, $0.id.rawValue) < ($1.createdAt, $1.id.rawValue) }
    }

    public func ping() async throws(QueueError) {
        _ = try await send(ValkeyCommand("PING"))
    }

    public func reportBackendFailure() async throws(QueueError) -> CircuitState {
        let policy = configuration.circuit
        let reply = try await run(
            QueueScripts.circuitFailure, keys: [keys.circuit],
            arguments: [clock.nowMilliseconds(), policy.threshold, policy.window.milliseconds, policy.openFor.milliseconds, policy.maximumOpen.milliseconds]
        )
        guard let parts = reply.array, parts.count == 2, let until = parts[0].int, let trips = parts[1].int else {
            throw .corruptRecord("unexpected circuit reply")
        }
        return CircuitState(openUntilMilliseconds: until, trips: Int(trips))
    }

    public func identity(create: Bool) async throws(QueueError) -> String? {
        if create { _ = try await send(ValkeyCommand("SET", keys.identity, JobID().rawValue, "NX")) }
        return try await send(ValkeyCommand("GET", keys.identity)).string
    }

    public func observeEvents(of id: JobID, _ sink: EventSink) -> EventObservation {
        eventHub.observe(id, sink)
    }

    public func observeEnds(_ sink: @escaping @Sendable (JobEnd) -> Void) -> EventObservation {
        eventHub.observeEnds(sink)
    }

    /// A job record from an `HGETALL` reply; nil when the hash is empty.
    private static func record(_ id: JobID, from reply: ValkeyReply) throws(QueueError) -> JobRecord? {
        guard let items = reply.array, items.count % 2 == 0 else { throw .corruptRecord("unexpected HGETALL reply", jobID: id) }
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: items.count, by: 2) {
            guard let name = items[index].string, case .bulk(let value) = items[index + 1] else { continue }
            fields[name] = value
        }
        return try JobRecord(id: id, fields: fields)
    }

    public func stats() async throws(QueueError) -> QueueStats {
        let now = clock.nowMilliseconds()
        let reply = try await run(QueueScripts.stats, keys: [keys.waiting], arguments: [keys.base, now])
        let fixed = 9
        guard let parts = reply.array, parts.count >= fixed, (parts.count - fixed) % 2 == 0 else {
            throw .corruptRecord("unexpected stats reply")
        }
        let numbers = parts[0..<8].map { Int($0.int ?? 0) }
        var counters: [String: Int] = [:]
        for index in stride(from: fixed, to: parts.count, by: 2) {
            if let name = parts[index].string, let value = parts[index + 1].int { counters[name] = Int(value) }
        }
        let oldest = numbers[4]
        return QueueStats(
            waiting: numbers[0], active: numbers[1], scheduled: numbers[2], failed: numbers[3],
            oldestWaitingSeconds: oldest >= 0 ? max(0, Double(Int(now) - oldest) / 1000) : 0,
            liveWorkers: numbers[5], expiredLeases: numbers[6], waitingTenants: numbers[7],
            endedPerSecond: parts[8].double ?? 0, maxDepth: configuration.maxDepth, allCounters: counters
        )
    }

    func run(_ script: ValkeyScript, keys: [String], arguments: [any ValkeyArgument]) async throws(QueueError) -> ValkeyReply {
        do {
            return try await client.run(script, keys: keys, arguments: arguments)
        } catch {
            throw .backend(error)
        }
    }

    /// One command's reply, a server error as a reply; unreachable Valkey becomes `QueueError.backend`.
    func sendReply(_ command: ValkeyCommand) async throws(QueueError) -> ValkeyReply {
        do {
            return try await client.pipeline([command])[0].get()
        } catch {
            throw .backend(error)
        }
    }

    /// One command; Valkey's errors become `QueueError.backend`.
    @discardableResult
    func send(_ command: ValkeyCommand) async throws(QueueError) -> ValkeyReply {
        do {
            return try await client.send(command)
        } catch {
            throw .backend(error)
        }
    }

    /// Commands as one pipeline on one connection, in order; the first error is thrown.
    func pipeline(_ commands: [ValkeyCommand]) async throws(QueueError) {
        for result in await client.pipeline(commands) {
            do {
                try result.get().throwingServerError()
            } catch {
                throw .backend(error)
            }
        }
    }

    /// Stage timings as a JSON object (a non-finite one is written null and read back as absent).
    static func encode(_ timings: [String: Double]) -> String {
        JSONValue.object(timings.mapValues(JSONValue.number)).description
    }
}
