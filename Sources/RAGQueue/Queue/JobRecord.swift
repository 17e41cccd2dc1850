import Foundation

/// Everything the queue knows about one job, as a reader (the API, a test) sees it.
public struct JobRecord: Sendable, Hashable {
    /// The job's id.
    public var id: JobID
    /// Which handler runs it (`rag.query`, ...).
    public var kind: String
    /// The kind's payload, as enqueued (JSON for the built-in kinds).
    public var payload: [UInt8]
    /// Where the job is in its life.
    public var status: JobStatus
    /// Attempts started so far (not counting those of workers that died holding the job).
    public var attempts: Int
    /// Attempts allowed.
    public var maxAttempts: Int
    /// When the job was first enqueued.
    public var createdAt: Date
    /// When the job last entered `waiting` (first enqueue, retry or reclaim).
    public var enqueuedAt: Date?
    /// When the current or last attempt started.
    public var startedAt: Date?
    /// When the first attempt started.
    public var firstStartedAt: Date?
    /// When the job ended.
    public var endedAt: Date?
    /// The worker of the current or last attempt.
    public var workerID: String?
    /// Fencing token of the current or last attempt.
    public var token: Int64
    /// When the current lease runs out, while the job runs.
    public var leaseExpiresAt: Date?
    /// When a scheduled retry is due.
    public var retryAt: Date?
    /// The result stored by `complete`.
    public var result: [UInt8]?
    /// The last failure (also kept on a job that succeeded on a retry).
    public var error: JobFailure?
    /// Seconds spent per stage of the last attempt, as the handler recorded them.
    public var timings: [String: Double]
    /// Request id of the API call that enqueued the job, for log correlation.
    public var requestID: String?
    /// Tenant that owns the job.
    public var tenant: String?
    /// Set when a cancel arrived while the job ran.
    public var cancelRequested: Bool
    /// How many times a final status was written: 0 until the job ends, then 1. More would mean a
    /// duplicated result, which the fencing tokens exist to prevent; audits check it.
    public var endCount: Int
    /// The job's priority (0...9).
    public var priority: Int = EnqueueRequest.defaultPriority
    /// What its attempts used so far, added up.
    public var usage = JobUsage()
    /// What it still holds reserved of its tenant's budget (0 once ended).
    public var reservedBudget: Int64 = 0
    /// Workers that died (heartbeat lapsed) while holding it (`QueueConfiguration.maxCrashes`).
    public var crashes: Int = 0
    /// The job whose cached answer answered this one; nil when it ran itself.
    public var cachedFrom: JobID? = nil
    /// The job this one follows (the same question in flight): it ends as that job ends.
    public var coalescedWith: JobID? = nil
    /// For an answer reused from a similar question (`cachedFrom`, semantic cache): the cosine
    /// similarity of the two questions' embeddings; nil for an equal question or a job that ran.
    public var similarity: Double? = nil
    /// Times an operator put it back in the queue after it failed (`JobStore.retry`).
    public var operatorRetries: Int = 0
    /// What happened to it as stored: a line `<ms> <what> [detail ...]` per step, oldest first (the
    /// oldest steps of a long history are dropped).
    public var historyText = ""
    /// The steps of `historyText`, read when asked: most readers (a long-poll, the API's view) never
    /// look at them.
    public var history: [Step] { Step.parse(historyText) }

    /// One step of a job's history.
    public struct Step: Sendable, Hashable {
        public var at: Date
        /// `created`, `follows`, `started`, `scheduled`, `queued`, `released`, `lease_expired`,
        /// `worker_crashed`, `cancel_requested`, `retried_by_operator`, `finished`, `failed`, `canceled`.
        public var what: String
        /// `follows`: the leader; `started`: worker, attempt; `scheduled`: error code, retry time
        /// (ms); `queued`: `retry_due` after a scheduled retry; `lease_expired`, `worker_crashed`:
        /// the worker; `failed`: error code; `finished`: `cached_from <job>` for a cached answer;
        /// an end shared with a leader: `with_leader <job>`.
        public var details: [String]

        public init(at: Date, what: String, details: [String] = []) {
            self.at = at
            self.what = what
            self.details = details
        }

        /// The steps of a stored history: a line `<ms> <what> [detail ...]` each.
        static func parse(_ text: String) -> [Step] {
            text.split(separator: "\n").compactMap { line in
                let words = line.split(separator: " ").map(String.init)
                guard words.count >= 2, let milliseconds = Int64(words[0]) else { return nil }
                return Step(at: Date(epochMilliseconds: milliseconds), what: words[1], details: Array(words.dropFirst(2)))
            }
        }

        /// `history` with a step at `now` added, the oldest dropped past 4 KB (the scripts' `noted`).
        static func noted(_ history: String, now: Int64, _ line: String) -> String {
            var text = history + "\(now) \(line)\n"
            if text.utf8.count > 4096 {
                let bytes = Array(text.utf8)
                if let newline = bytes[(bytes.count - 3073)...].firstIndex(of: 10) {
                    text = String(decoding: bytes[(newline + 1)...], as: UTF8.self)
                }
            }
            return text
        }
    }

    /// The state machine positioned where this record is.
    public var stateMachine: JobStateMachine {
        JobStateMachine(
            status: status, attempts: attempts, maxAttempts: maxAttempts, cancelRequested: cancelRequested, token: token, crashes: crashes
        )
    }
}

extension JobRecord {
    /// Builds a record from a job hash's fields; nil when the hash is empty (unknown or expired id).
    init?(id: JobID, fields: [String: [UInt8]]) throws(QueueError) {
        guard !fields.isEmpty else { return nil }
        func text(_ name: String) -> String? {
            fields[name].map { String(decoding: $0, as: UTF8.self) }
        }
        func number(_ name: String) -> Int64? { text(name).flatMap { Int64($0) } }
        func date(_ name: String) -> Date? { number(name).map(Date.init(epochMilliseconds:)) }
        func nonEmpty(_ name: String) -> String? { text(name).flatMap { $0.isEmpty ? nil : $0 } }

        guard let statusText = text("status"), let status = JobStatus(rawValue: statusText),
              let kind = text("kind"), let created = date("created_at")
        else { throw .corruptRecord("job record lacks status, kind or creation time", jobID: id) }

        self.id = id
        self.kind = kind
        self.payload = fields["payload"] ?? []
        self.status = status
        self.attempts = Int(number("attempts") ?? 0)
        self.maxAttempts = Int(number("max_attempts") ?? 1)
        self.createdAt = created
        self.enqueuedAt = date("enqueued_at")
        self.startedAt = date("started_at")
        self.firstStartedAt = date("first_started_at")
        self.endedAt = date("ended_at")
        self.workerID = nonEmpty("worker")
        self.token = number("token") ?? 0
        self.leaseExpiresAt = status == .started ? date("lease_until") : nil
        self.retryAt = date("retry_at")
        self.result = fields["result"]
        self.error = fields["error"].flatMap { try? JSONDecoder().decode(JobFailure.self, from: Data($0)) }
        self.timings = fields["timings"].flatMap { try? JSONValue(parsing: $0).objectValue?.compactMapValues(\.doubleValue) } ?? [:]
        self.requestID = nonEmpty("request_id")
        self.tenant = nonEmpty("tenant")
        self.cancelRequested = text("cancel") == "1"
        self.endCount = Int(number("ends") ?? 0)
        self.priority = number("priority").map { Int($0) } ?? EnqueueRequest.defaultPriority
        self.usage = JobUsage(fields["usage"].flatMap { try? JSONValue(parsing: $0).objectValue?.compactMapValues { $0.intValue.map(Int64.init) } } ?? [:])
        self.reservedBudget = number("reserved") ?? 0
        self.crashes = Int(number("crashes") ?? 0)
        self.cachedFrom = nonEmpty("cached_from").flatMap(JobID.init)
        self.coalescedWith = nonEmpty("leader").flatMap(JobID.init)
        self.similarity = nonEmpty("similarity").flatMap(Double.init)
        self.operatorRetries = Int(number("retries") ?? 0)
        self.historyText = text("history") ?? ""
    }
}

extension JobRecord {
    /// A record of one attempt with these times and nothing else (no payload, result or tenant): for
    /// programs that model jobs rather than read them, such as ragsim's queue model, whose modelled
    /// jobs go through the same arithmetic as measured ones.
    public init(id: JobID = JobID(), kind: String, status: JobStatus, createdAt: Date, startedAt: Date? = nil, endedAt: Date? = nil) {
        self.id = id
        self.kind = kind
        self.payload = []
        self.status = status
        self.attempts = startedAt == nil ? 0 : 1
        self.maxAttempts = 1
        self.createdAt = createdAt
        self.enqueuedAt = createdAt
        self.startedAt = startedAt
        self.firstStartedAt = startedAt
        self.endedAt = endedAt
        self.workerID = nil
        self.token = 0
        self.leaseExpiresAt = nil
        self.retryAt = nil
        self.result = nil
        self.error = nil
        self.timings = [:]
        self.requestID = nil
        self.tenant = nil
        self.cancelRequested = false
        self.endCount = endedAt == nil ? 0 : 1
    }
}

extension Date {
    /// A date from milliseconds since the Unix epoch.
    init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000)
    }

    /// Milliseconds since the Unix epoch.
    var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
