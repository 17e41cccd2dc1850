import Foundation
import RAGQueue

/// How a job looks in responses: the v1 shape, and the seed's FastAPI shapes.
enum QueryView {
    /// Paths of one query's resources.
    static func links(_ id: JobID) -> JSONValue {
        .object([
            "self": .string("/v1/queries/\(id)"),
            "events": .string("/v1/queries/\(id)/events"),
            "wait": .string("/v1/queries/\(id)?wait=30"),
        ])
    }

    /// The v1 representation: status, result or error, timings, attempts, timestamps.
    static func v1(_ record: JobRecord) -> JSONValue {
        var object = v1Members(record)
        if let result = finishedResult(record) { object["result"] = resultValue(result) }
        return .object(object)
    }

    /// `v1(record)` as JSON text on one line. The stored answer is copied in as it is when it is
    /// JSON on one line (the worker writes it so), checked but not parsed into dictionaries and
    /// written again: that was most of what a long-poll's answer cost the api of its own work.
    /// Anything else stored is written as `v1` writes it.
    static func v1JSON(_ record: JobRecord) -> [UInt8] {
        var object = v1Members(record)
        if let result = finishedResult(record) {
            if !result.contains(where: { $0 == 0x0A || $0 == 0x0D }), JSONValue.isValid(result) {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(result.count + 640)
                JSONValue.writeObject(object, splicing: ("result", result), to: &bytes)
                return bytes
            }
            object["result"] = resultValue(result)
        }
        return JSONValue.object(object).jsonBytes
    }

    /// The stored result of a finished job.
    private static func finishedResult(_ record: JobRecord) -> [UInt8]? {
        record.status == .finished ? record.result : nil
    }

    /// A stored result as a value: its JSON, or its text when it is not JSON.
    private static func resultValue(_ result: [UInt8]) -> JSONValue {
        (try? JSONValue(parsing: result)) ?? .string(String(decoding: result, as: UTF8.self))
    }

    /// Every member of the v1 representation but the result.
    private static func v1Members(_ record: JobRecord) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "id": .string(record.id.rawValue),
            "status": .string(record.status.rawValue),
            "attempts": .integer(record.attempts),
            "max_attempts": .integer(record.maxAttempts),
            "crashes": .integer(record.crashes),
            "created_at": .string(iso(record.createdAt)),
            "cancel_requested": .bool(record.cancelRequested),
            "timings": .object(record.timings.mapValues { .number($0.isFinite ? $0 : 0) }),
            "links": links(record.id),
        ]
        if let query = try? RAGQuery(json: record.payload) {
            object["query"] = .string(query.query)
            object["stream"] = .bool(query.stream)
            if let collection = query.collection { object["collection"] = .string(collection) }
            if let topK = query.topK { object["top_k"] = .integer(topK) }
        }
        if let date = record.startedAt { object["started_at"] = .string(iso(date)) }
        if let date = record.endedAt { object["ended_at"] = .string(iso(date)) }
        if let date = record.retryAt, record.status == .scheduled { object["retry_at"] = .string(iso(date)) }
        if let requestID = record.requestID { object["request_id"] = .string(requestID) }
        if let leader = record.coalescedWith { object["coalesced_with"] = .string(leader.rawValue) }
        if let source = record.cachedFrom {
            object["cached"] = .bool(true)
            object["cached_from"] = .string(source.rawValue)
            if let similarity = record.similarity { object["similarity"] = .number((similarity * 10_000).rounded() / 10_000) }
        }
        if record.status == .failed || record.status == .scheduled, let error = record.error {
            object["error"] = .object(["code": .string(error.code), "message": .string(error.message), "transient": .bool(error.transient)])
        }
        return object
    }

    /// The seed's `/job-status/{job_id}` body.
    static func seedStatus(_ record: JobRecord) -> JSONValue {
        var object: [String: JSONValue] = [
            "job_id": .string(record.id.rawValue),
            "status": .string(record.status.rawValue),
            "created_at": .string(iso(record.createdAt)),
        ]
        if record.status == .finished {
            object["result"] = answerText(record).map(JSONValue.string) ?? .null
            if let ended = record.endedAt { object["ended_at"] = .string(iso(ended)) }
        }
        if record.status == .failed {
            object["error"] = .string(record.error?.message ?? "job failed")
        }
        return .object(object)
    }

    /// The seed's `/result/{job_id}` body.
    static func seedResult(_ record: JobRecord) -> JSONValue {
        guard record.status == .finished else {
            return .object([
                "status": .string(record.status.rawValue),
                "message": .string("Job is not yet completed. Check /job-status for updates."),
            ])
        }
        return .object([
            "job_id": .string(record.id.rawValue),
            "status": .string("completed"),
            "result": answerText(record).map(JSONValue.string) ?? .null,
        ])
    }

    /// The answer string of a finished job: `RAGAnswer.answer`, or the raw result when it is not one.
    static func answerText(_ record: JobRecord) -> String? {
        guard let result = record.result else { return nil }
        if let answer = try? JSONDecoder().decode(RAGAnswer.self, from: Data(result)) { return answer.answer }
        return String(decoding: result, as: UTF8.self)
    }

    /// ISO-8601 with milliseconds, UTC (`ISOTimestamp`), of the record's whole milliseconds.
    static func iso(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // Years 1 to 9999 only (four digits); any other time, as a damaged record might hold, the
        // format style writes.
        guard milliseconds >= -62_135_596_800_000, milliseconds < 253_402_300_800_000 else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        return ISOTimestamp.string(epochMilliseconds: Int64(milliseconds))
    }
}
