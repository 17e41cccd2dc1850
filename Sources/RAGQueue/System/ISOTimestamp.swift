#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ISO-8601 times in UTC with milliseconds, `2026-12-02T16:20:00.123Z`, from whole milliseconds
/// since the epoch: the log lines' timestamps and the API's views. Written by hand (the calendar
/// through `gmtime_r`, proleptic Gregorian as ISO 8601 has it): Foundation's ISO-8601 format style
/// cost the api about 1 % of its CPU with three dates in every view, and it truncates a `Date`, so
/// a record's whole milliseconds could come out one early.
public enum ISOTimestamp {
    /// The time `milliseconds` after 1970-01-01T00:00:00Z (before it when negative). Years beyond
    /// 9999 get more digits; callers that may hold such times check first.
    public static func string(epochMilliseconds milliseconds: Int64) -> String {
        // Floor division, so that a time before 1970 counts back from a whole second.
        var seconds = milliseconds / 1000
        var fraction = milliseconds % 1000
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        var clock = time_t(seconds)
        var parts = tm()
        gmtime_r(&clock, &parts)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int, then separator: Unicode.Scalar) {
            let number = String(value).utf8
            text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, width - number.count)))
            text.append(contentsOf: number)
            text.append(UInt8(ascii: separator))
        }
        digits(Int(parts.tm_year) + 1900, 4, then: "-")
        digits(Int(parts.tm_mon) + 1, 2, then: "-")
        digits(Int(parts.tm_mday), 2, then: "T")
        digits(Int(parts.tm_hour), 2, then: ":")
        digits(Int(parts.tm_min), 2, then: ":")
        digits(Int(parts.tm_sec), 2, then: ".")
        digits(Int(fraction), 3, then: "Z")
        return String(decoding: text, as: UTF8.self)
    }
}
