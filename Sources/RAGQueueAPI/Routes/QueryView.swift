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
        if record.status == .finished, let result = record.result {
            object["result"] = (try? JSONValue(parsing: result))
                ?? .string(String(decoding: result, as: UTF8.self))
        }
        if record.status == .failed || record.status == .scheduled, let error = record.error {
            object["error"] = .object(["code": .string(error.code), "message": .string(error.message), "transient": .bool(error.transient)])
        }
        return .object(object)
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

    /// ISO-8601 with milliseconds, UTC: `2026-12-02T16:20:00.123Z`, as Foundation's
    /// `ISO8601FormatStyle(includingFractionalSeconds: true)` writes it, but written here from the
    /// whole milliseconds (records keep their times in milliseconds): the format style cost the api
    /// about 1 % of its CPU, with three dates in every view.
    static func iso(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // Years 1 to 9999 only (four digits); any other time, as a damaged record might hold, the
        // format style writes.
        guard milliseconds >= -62_135_596_800_000, milliseconds < 253_402_300_800_000 else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        let total = Int64(milliseconds)
        let (days, millisOfDay) = (total.floorDivided(by: 86_400_000), total.floorModulo(86_400_000))
        // Days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`).
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        text.append(UInt8(ascii: "-"))
        digits(month, 2)
        text.append(UInt8(ascii: "-"))
        digits(day, 2)
        text.append(UInt8(ascii: "T"))
        digits(millisOfDay / 3_600_000, 2)
        text.append(UInt8(ascii: ":"))
        digits(millisOfDay / 60_000 % 60, 2)
        text.append(UInt8(ascii: ":"))
        digits(millisOfDay / 1000 % 60, 2)
        text.append(UInt8(ascii: "."))
        digits(millisOfDay % 1000, 3)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }
}

extension Int64 {
    /// The quotient rounded toward minus infinity (dates before 1970 count back from it).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder of `floorDivided(by:)`, always of the divisor's sign.
    fileprivate func floorModulo(_ divisor: Int64) -> Int64 {
        self - floorDivided(by: divisor) * divisor
    }
}
