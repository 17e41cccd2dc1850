import FakeBackends
import Foundation
import RAGQueue
import RAGQueueTestSupport
import Synchronization

/// Carries out a chaos plan against the running system and measures how long each fault takes to
/// heal. Times count from `start`, the first arrival's instant.
struct FaultInjector: Sendable {
    let store: ValkeyJobStore
    let services: SimulationServices
    let pool: WorkerPool
    let api: APIProcess
    /// The API's root and the key its traffic uses, probed while Valkey is down.
    let apiURL: String
    let apiKey: String?
    let lease: Duration
    /// The workers' heartbeat: a struck worker's jobs must run again within two of it.
    let heartbeat: Duration
    let start: ContinuousClock.Instant
    /// Monitors stop waiting for a recovery here (traffic's end plus the drain bound).
    let giveUpAt: ContinuousClock.Instant
    let seed: UInt64
    let say: @Sendable (String) -> Void

    private var clock: ContinuousClock { ContinuousClock() }

    /// Runs every fault of `chaos` within the traffic's `length`; returns their records by time.
    func run(_ chaos: ChaosPlan, length: Duration) async throws -> [ChaosLedger.FaultRecord] {
        let random = Picker(seed: seed)
        let records = try await withThrowingTaskGroup(of: [ChaosLedger.FaultRecord].self) { group in
            for fault in chaos.faults {
                group.addTask {
                    switch fault {
                    case .killWorker(let every):
                        return try await repeating(every: every, length: length) { try await killWorker(random: random) }
                    case .stopWorker(let at, let stopLength):
                        try await clock.sleep(until: start + at)
                        return [try await stopWorker(for: stopLength ?? heartbeat * 3)]
                    case .restartValkey(let at, let down):
                        try await clock.sleep(until: start + at)
                        return [try await restartValkey(down: down)]
                    case .valkeyDown(let at, let downFor):
                        try await clock.sleep(until: start + at)
                        return [try await valkeyDown(for: downFor)]
                    case .failoverValkey(let at):
                        try await clock.sleep(until: start + at)
                        return [try await failoverValkey()]
                    case .restartAPI(let at, let down):
                        try await clock.sleep(until: start + at)
                        return [try await restartAPI(down: down)]
                    case .backendFaults(let every, let burst):
                        return try await repeating(every: every, length: length) { try await backendBurst(length: burst) }
                    }
                }
            }
            var all: [ChaosLedger.FaultRecord] = []
            for try await records in group { all += records }
            return all
        }
        return records.sorted { $0.atSeconds < $1.atSeconds }
    }

    /// Runs `body` at every multiple of `every` inside `length`, each in a task of its own (its
    /// recovery may take longer than the period).
    private func repeating(
        every: Duration, length: Duration, _ body: @escaping @Sendable () async throws -> ChaosLedger.FaultRecord
    ) async throws -> [ChaosLedger.FaultRecord] {
        try await withThrowingTaskGroup(of: ChaosLedger.FaultRecord.self) { group in
            var at = every
            while at < length {
                try await clock.sleep(until: start + at)
                group.addTask(operation: body)
                at += every
            }
            var records: [ChaosLedger.FaultRecord] = []
            for try await record in group { records.append(record) }
            return records
        }
    }

    private var now: Double { (clock.now - start).seconds }

    // MARK: Workers

    /// SIGKILLs a random worker no other fault holds, starts its replacement, and waits for the
    /// killed worker's jobs to run again.
    private func killWorker(random: Picker) async throws -> ChaosLedger.FaultRecord {
        let at = now
        var candidates = pool.available()
        var victim: WorkerPool.Member?
        while victim == nil, !candidates.isEmpty {
            let member = candidates.remove(at: random.index(below: candidates.count))
            if pool.take(member.number) { victim = member }
        }
        guard let victim else {
            return .init(kind: "kill-worker", atSeconds: at, detail: "no worker available", heldJobs: 0)
        }
        let held = try await reading { try await jobs(heldBy: victim.child) }
        let killedAt = Date()
        await victim.child.stop(with: SIGKILL)
        let replacement = try pool.spawn()
        let recovery = await recovery(of: held, since: killedAt)
        return .init(
            kind: "kill-worker", atSeconds: at,
            detail: "SIGKILL worker \(victim.number) holding \(held.count) job(s); worker \(replacement) started in its place",
            heldJobs: held.count, recoverySeconds: recovery, limitSeconds: (heartbeat * 2).seconds
        )
    }

    /// SIGSTOPs the worker holding the most jobs for `length`, then SIGCONTs it; its jobs must run
    /// elsewhere meanwhile and its late writes be refused.
    private func stopWorker(for length: Duration) async throws -> ChaosLedger.FaultRecord {
        let at = now
        var ranked: [(WorkerPool.Member, [JobLease])] = []
        for member in pool.available() {
            ranked.append((member, try await reading { try await jobs(heldBy: member.child) }))
        }
        ranked.sort { $0.1.count > $1.1.count }
        guard let (victim, _) = ranked.first(where: { pool.take($0.0.number) }) else {
            return .init(kind: "stop-worker", atSeconds: at, detail: "no worker available", heldJobs: 0)
        }
        // Read again: the jobs it holds at the moment it freezes.
        let held = try await reading { try await jobs(heldBy: victim.child) }
        let stoppedAt = Date()
        victim.child.send(SIGSTOP)
        async let recovered = recovery(of: held, since: stoppedAt)
        try? await Task.sleep(for: length)
        victim.child.send(SIGCONT)
        pool.release(victim.number)
        return .init(
            kind: "stop-worker", atSeconds: at,
            detail: "SIGSTOP worker \(victim.number) holding \(held.count) job(s) for \(Simulation.number(length.seconds)) s "
                + "(lease \(Simulation.number(lease.seconds)) s), then SIGCONT",
            heldJobs: held.count, recoverySeconds: await recovered, limitSeconds: (heartbeat * 2).seconds
        )
    }

    /// The leases the worker process `child` holds now (worker ids carry their process id).
    private func jobs(heldBy child: ChildProcess) async throws -> [JobLease] {
        guard let pid = child.pid else { return [] }
        return try await store.runningJobs(limit: 100_000)
            .filter { $0.workerID?.contains("-\(pid)-") == true }
            .map { JobLease(id: $0.id, token: $0.token) }
    }

    /// Seconds from `since` until every job of `held` ran again under a newer token (or ended), by
    /// the records' own start and end times; nil if one had not by `giveUpAt`; 0 for no jobs.
    private func recovery(of held: [JobLease], since: Date) async -> Double? {
        var latest = 0.0
        for lease in held {
            while true {
                if let record = try? await store.job(lease.id) {
                    if record.token > lease.token, let restarted = record.startedAt {
                        latest = max(latest, restarted.timeIntervalSince(since))
                        break
                    }
                    if record.status.isTerminal, let ended = record.endedAt {
                        latest = max(latest, ended.timeIntervalSince(since))
                        break
                    }
                }
                guard clock.now < giveUpAt else { return nil }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        return latest
    }

    // MARK: Valkey, API, backends

    /// SIGKILLs Valkey, restarts it after `down` on the same port with its append-only file, and
    /// waits for the next job to finish.
    private func restartValkey(down: Duration) async throws -> ChaosLedger.FaultRecord {
        let at = now
        guard let server = services.valkeyServer else {
            return .init(kind: "restart-valkey", atSeconds: at, detail: "skipped: Valkey is not embedded", heldJobs: 0)
        }
        let finishedBefore = try await reading { try await store.stats().counters["finished"] ?? 0 }
        let killedAt = clock.now
        await server.kill()
        try? await Task.sleep(for: down)
        try await server.start(timeout: .seconds(30))
        let answering = (clock.now - killedAt).seconds
        let healed = await firstFinish(after: finishedBefore, since: killedAt)
        return .init(
            kind: "restart-valkey", atSeconds: at,
            detail: "SIGKILL valkey-server, restarted after \(Simulation.number(down.seconds)) s from its append-only file, "
                + "answering after \(ChaosLedger.seconds(answering)); next job finished",
            heldJobs: 0, recoverySeconds: healed
        )
    }

    /// SIGKILLs the API, restarts it after `down` on the same port, and waits until it answers.
    /// Freezes Valkey (SIGSTOP: connections hang rather than fail) for `length`, probing the API's
    /// `/v1/stats` every 250 ms meanwhile, then resumes it; reports the slowest probe and the jobs
    /// taken back from workers from the freeze until two heartbeats after it (none, when no worker
    /// fault overlaps: the outage moves every deadline on).
    private func valkeyDown(for length: Duration) async throws -> ChaosLedger.FaultRecord {
        let at = now
        guard let server = services.valkeyServer, let pid = server.pid else {
            return .init(kind: "valkey-down", atSeconds: at, detail: "skipped: Valkey is not embedded", heldJobs: 0)
        }
        let counters = try await reading { try await store.stats().counters }
        let stoppedAt = clock.now
        Foundation.kill(pid, SIGSTOP)
        var slowest: Duration = .zero
        var statuses: [Int: Int] = [:]
        while clock.now - stoppedAt < length {
            let asked = clock.now
            let probe = HTTPClientRequest(url: apiURL + "/v1/stats", headers: apiKey.map { ["X-API-Key": $0] } ?? [:], timeout: .seconds(30))
            let status = (try? await services.httpClient.execute(probe).status) ?? 0
            slowest = max(slowest, clock.now - asked)
            statuses[status, default: 0] += 1
            try? await Task.sleep(for: .milliseconds(250))
        }
        Foundation.kill(pid, SIGCONT)
        let healed = await firstFinish(after: counters["finished"] ?? 0, since: stoppedAt)
        try? await Task.sleep(for: heartbeat * 2)
        let after = try await reading { try await store.stats().counters }
        let reclaimed = (after["reclaimed"] ?? 0) - (counters["reclaimed"] ?? 0)
        let answers = statuses.sorted { $0.key < $1.key }.map { "\($0.value) x \($0.key == 0 ? "no answer" : String($0.key))" }
        return .init(
            kind: "valkey-down", atSeconds: at,
            detail: "SIGSTOP valkey-server for \(Simulation.number(length.seconds)) s (lease \(Simulation.number(lease.seconds)) s); "
                + "the API answered \(answers.joined(separator: ", ")), the slowest in \(ChaosLedger.seconds(slowest.seconds)); "
                + "\(reclaimed) job(s) taken back from workers; next job finished",
            heldJobs: 0, recoverySeconds: healed
        )
    }

    /// SIGKILLs the Sentinel group's primary; reports when the sentinels named another and when
    /// the next job finished. What the dead primary had not passed on is lost: the ledger counts it.
    private func failoverValkey() async throws -> ChaosLedger.FaultRecord {
        let at = now
        guard let group = services.valkeyGroup, let primary = await group.primary() else {
            return .init(kind: "failover-valkey", atSeconds: at, detail: "skipped: no embedded Sentinel group (--valkey sentinel)", heldJobs: 0)
        }
        let counters = try await reading { try await store.stats().counters }
        let killedAt = clock.now
        await primary.kill()
        var promoted: ValkeyServerProcess?
        while promoted == nil, clock.now < giveUpAt {
            if let named = await group.primary(), named.port != primary.port { promoted = named } else { try? await Task.sleep(for: .milliseconds(100)) }
        }
        let promotedAfter = clock.now - killedAt
        let healed = await firstFinish(after: counters["finished"] ?? 0, since: killedAt)
        return .init(
            kind: "failover-valkey", atSeconds: at,
            detail: "SIGKILL the primary (port \(primary.port)); "
                + (promoted.map { "the sentinels promoted port \($0.port) after \(ChaosLedger.seconds(promotedAfter.seconds))" } ?? "no replica was promoted")
                + "; next job finished",
            heldJobs: 0, recoverySeconds: healed
        )
    }

    private func restartAPI(down: Duration) async throws -> ChaosLedger.FaultRecord {
        let at = now
        let killedAt = clock.now
        guard await api.kill() else {
            return .init(kind: "restart-api", atSeconds: at, detail: "skipped: the API is not embedded", heldJobs: 0)
        }
        try? await Task.sleep(for: down)
        try await api.start()
        return .init(
            kind: "restart-api", atSeconds: at,
            detail: "SIGKILL ragserve api, restarted after \(Simulation.number(down.seconds)) s on the same port; healthy again",
            heldJobs: 0, recoverySeconds: (clock.now - killedAt).seconds
        )
    }

    /// `length` of faults from both fakes, then the configured plans again; waits for the next job
    /// to finish after the burst.
    private func backendBurst(length: Duration) async throws -> ChaosLedger.FaultRecord {
        let at = now
        guard let openAI = services.fakeOpenAI, let qdrant = services.fakeQdrant else {
            return .init(kind: "backend-faults", atSeconds: at, detail: "skipped: the backends are not the embedded fakes", heldJobs: 0)
        }
        let injectedSoFar = {
            openAI.counters.snapshot().faultsByKind.values.reduce(0, +) + qdrant.counters.snapshot().faultsByKind.values.reduce(0, +)
        }
        let before = injectedSoFar()
        openAI.setFaults(FaultPlan(
            default: .init(tooManyRequests: 0.2, internalServerError: 0.05, serviceUnavailable: 0.05, timeout: 0.03, connectionReset: 0.03),
            retryAfter: .seconds(1), timeoutHold: .seconds(2)
        ))
        qdrant.setFaults(FaultPlan(
            default: .init(serviceUnavailable: 0.1, timeout: 0.03, connectionReset: 0.03), retryAfter: .seconds(1), timeoutHold: .seconds(2)
        ))
        try? await Task.sleep(for: length)
        openAI.setFaults(nil)
        qdrant.setFaults(nil)
        let endedAt = clock.now
        let finishedBefore = (try? await store.stats().counters["finished"] ?? 0) ?? 0
        let injected = injectedSoFar() - before
        let healed = await firstFinish(after: finishedBefore, since: endedAt)
        return .init(
            kind: "backend-faults", atSeconds: at,
            detail: "\(Simulation.number(length.seconds)) s of 429 (Retry-After 1 s), 500, 503, held and reset requests: "
                + "\(injected) fault(s) injected; from its end to the next finished job",
            heldJobs: 0, recoverySeconds: healed
        )
    }

    /// `body`'s answer, asked again every 100 ms for up to 15 s while Valkey is unreachable (another
    /// fault may be restarting it).
    private func reading<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let deadline = clock.now + .seconds(15)
        while true {
            do {
                return try await body()
            } catch where clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Seconds from `since` until the queue's finished counter passes `count`; nil by `giveUpAt`.
    private func firstFinish(after count: Int, since: ContinuousClock.Instant) async -> Double? {
        while clock.now < giveUpAt {
            if let finished = try? await store.stats().counters["finished"], finished > count {
                return (clock.now - since).seconds
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

/// Seeded choices shared by the fault tasks, so a run with the same seed strikes the same workers.
private final class Picker: Sendable {
    private let random: Mutex<SeededRandom>

    init(seed: UInt64) {
        random = Mutex(SeededRandom(mixing: seed, 0xC4A05))
    }

    /// A number in `0..<count` (count > 0).
    func index(below count: Int) -> Int {
        random.withLock { Int($0.next() % UInt64(count)) }
    }
}
