import Foundation
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// The views' dates, written by hand from whole milliseconds, must read as Foundation's ISO-8601
/// format style writes them, but for its two slips: it truncates to the millisecond, so a record's
/// time (whole milliseconds, which as a Double may fall a hair short) could come out a millisecond
/// early, and it turns to the Julian calendar before 1582, where ISO 8601 keeps the Gregorian.
@Suite("Query views")
struct QueryViewTests {
    static func foundation(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    @Test("dates of records (whole milliseconds) are written as Foundation writes the middle of their millisecond")
    func isoDates() {
        var samples: [Int64] = [
            0, 1, 999, 1000, -1, -1000, -86_400_000, 951_782_400_000 /* 2000-02-29 */, 4_107_542_400_000 /* 2100-03-01 */,
            1_764_692_400_123, 1_796_169_599_999, -11_676_096_000_000 /* 1600-01-01 */, 253_402_300_799_999, /* 9999-12-31 */
        ]
        // Every day of four years around a leap year and a century, at a time with every field set.
        let day: Int64 = 86_400_000
        for index in 0..<(4 * 366) { samples.append(946_684_800_000 - 2 * 365 * day + Int64(index) * day + 45_296_789) }
        // And times spread over 1970-2200 by a fixed sequence.
        var value: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Int64(value >> 22) % 7_258_118_400_000)
        }
        for millis in samples {
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let middle = Date(timeIntervalSince1970: (Double(millis) + 0.5) / 1000)
            #expect(QueryView.iso(date) == Self.foundation(middle), "\(millis)")
        }
        #expect(QueryView.iso(Date(timeIntervalSince1970: 0.999)) == "1970-01-01T00:00:00.999Z")
        #expect(QueryView.iso(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00.000Z", "proleptic Gregorian")
    }

    @Test("a time outside years 1 to 9999 (a damaged record) is written by Foundation, not refused")
    func isoOutOfRange() {
        for date in [Date(timeIntervalSince1970: 1e15), Date(timeIntervalSince1970: -1e14)] {
            #expect(QueryView.iso(date) == Self.foundation(date))
        }
    }

    static func record(status: String, result: [UInt8]?) throws -> JobRecord {
        var fields: [String: [UInt8]] = [
            "status": Array(status.utf8), "kind": Array("rag.query".utf8), "created_at": Array("1764692400123".utf8),
            "payload": Array(#"{"query":"What is a router?","top_k":2}"#.utf8), "attempts": Array("1".utf8),
            "timings": Array(#"{"embed_ms":12.5,"total_ms":40}"#.utf8),
        ]
        if let result { fields["result"] = result }
        return try #require(try JobRecord(id: JobID(), fields: fields))
    }

    @Test("a finished query's view as bytes is the view, the stored answer copied in on one line", arguments: [
        #"{"answer":"Routers forward \"packets\".\nSee page 3.","sources":[{"page":3,"score":0.5,"text":"café"}]}"#,
        #"{"answer":"x","sources":[]}"#, #""a plain string""#, "42", "[]",
        "not JSON at all", #"{"answer": "spaced", "sources": []}"#, "{\"answer\":\n\"on two lines\"}", "{\"broken\":", "",
    ])
    func bytesOfFinished(stored: String) throws {
        let record = try Self.record(status: "finished", result: Array(stored.utf8))
        let bytes = QueryView.v1JSON(record)
        #expect(try JSONValue(parsing: bytes) == QueryView.v1(record), "\(String(decoding: bytes, as: UTF8.self))")
        #expect(!bytes.contains(10) && !bytes.contains(13), "one line, as an SSE frame needs")
        let parsed = try? JSONValue(parsing: Array(stored.utf8))
        #expect(QueryView.v1(record)["result"] == (parsed ?? .string(stored)))
        // Compact JSON goes through as stored, and the whole comes out as the value writer writes it.
        if parsed?.jsonBytes == Array(stored.utf8) { #expect(bytes == QueryView.v1(record).jsonBytes) }
    }

    @Test("a view as bytes of a query not finished has no result, whatever is stored")
    func bytesOfUnfinished() throws {
        for status in ["queued", "started", "failed"] {
            let record = try Self.record(status: status, result: Array(#"{"answer":"stale"}"#.utf8))
            let bytes = QueryView.v1JSON(record)
            #expect(bytes == QueryView.v1(record).jsonBytes)
            #expect(QueryView.v1(record)["result"] == nil, "\(status)")
        }
    }
}
