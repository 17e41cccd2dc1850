import Foundation

/// Which jobs a listing shows (`JobStore.jobs(matching:before:limit:)`): every condition set holds.
public struct JobFilter: Sendable, Hashable {
    /// Jobs in this status only.
    public var status: JobStatus?
    /// Jobs of this tenant only.
    public var tenant: String?
    /// Jobs whose question contains this text, case-insensitively for ASCII letters: a query's
    /// `query` (the payload's JSON field), or the whole payload of a job that has none.
    public var text: String?

    public init(status: JobStatus? = nil, tenant: String? = nil, text: String? = nil) {
        self.status = status
        self.tenant = tenant.flatMap { $0.isEmpty ? nil : $0 }
        self.text = text.flatMap { $0.isEmpty ? nil : $0.lowercased() }
    }

    /// The time a listing with this filter is ordered by, newest first. Jobs that failed, run or
    /// wait for a retry are few and each of those states has an index of its own, so a filter on
    /// one of them walks that index (by end time, lease deadline, due time) instead of every job
    /// by creation time.
    public enum Order: Sendable, Hashable {
        case created, ended, leaseDeadline, due
    }

    public var orderedBy: Order {
        switch status {
        case .failed: .ended
        case .started: .leaseDeadline
        case .scheduled: .due
        default: .created
        }
    }

    /// Whether `record` passes.
    func matches(_ record: JobRecord) -> Bool {
        if let status, record.status != status { return false }
        if let tenant, record.tenant != tenant { return false }
        if let text, !Self.asciiLowercased(Self.question(of: record.payload)).contains(text) { return false }
        return true
    }

    /// A query's question (the `query` string of a JSON object payload), else the payload as text:
    /// what the Valkey script's `question` reads too.
    static func question(of payload: [UInt8]) -> String {
        struct Question: Decodable { let query: String }
        if let question = try? JSONDecoder().decode(Question.self, from: Data(payload)) { return question.query }
        return String(decoding: payload, as: UTF8.self)
    }

    /// Lowercases ASCII letters only, as Lua's `string.lower` does.
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}

/// A place in a listing of jobs, newest first: what comes after it has an earlier time, or the same
/// millisecond and a smaller id. The time is the one the listing is ordered by (`JobFilter.orderedBy`).
/// Written `<ms>.<id>` in URLs.
public struct JobCursor: Sendable, Hashable, LosslessStringConvertible {
    public var milliseconds: Int64
    public var id: JobID

    public init(milliseconds: Int64, id: JobID) {
        self.milliseconds = milliseconds
        self.id = id
    }

    public init?(_ description: String) {
        guard let dot = description.firstIndex(of: "."), let milliseconds = Int64(description[..<dot]),
              let id = JobID(String(description[description.index(after: dot)...]))
        else { return nil }
        self.init(milliseconds: milliseconds, id: id)
    }

    public var description: String { "\(milliseconds).\(id.rawValue)" }
}

/// One page of a listing: its jobs, newest first, and where the next page starts (nil at the end).
public struct JobPage: Sendable {
    public var records: [JobRecord]
    public var next: JobCursor?

    public init(records: [JobRecord], next: JobCursor?) {
        self.records = records
        self.next = next
    }
}
