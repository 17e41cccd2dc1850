#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension BackendError {
    /// Classifies an HTTP error response.
    ///
    /// - Parameters:
    ///   - status: the HTTP status (not 2xx).
    ///   - backend: the backend's name, e.g. `openai`.
    ///   - providerCode: the body's error code or type, e.g. `insufficient_quota`, if any.
    ///   - message: the body's error message, or a summary of the body.
    ///   - headers: the response headers, for `retry-after-ms`, `retry-after` and `x-should-retry`.
    ///   - now: the current time, to turn an HTTP-date `retry-after` into a delay.
    public static func classify(
        status: Int,
        backend: String,
        providerCode: String? = nil,
        message: String,
        headers: HTTPClientHeaders = [:],
        now: Date = Date()
    ) -> BackendError {
        let code: Code
        switch status {
        case 429:
            code = providerCode == "insufficient_quota" ? .quotaExceeded : .rateLimited
        case 408:
            code = .timeout
        case 401:
            code = .unauthorized
        case 403:
            code = .forbidden
        case 404:
            code = .notFound
        case 409:
            code = .conflict
        case 400..<500:
            code = Self.mentionsDimensionMismatch(message) ? .dimensionMismatch : .badRequest
        case 500..<600:
            code = .serverError
        default:
            code = .invalidResponse
        }
        // The OpenAI API may override the retry decision explicitly.
        let override: Bool? =
            switch headers["x-should-retry"]?.lowercased() {
            case "true": true
            case "false": false
            default: nil
            }
        return BackendError(
            code,
            backend: backend,
            status: status,
            providerCode: providerCode,
            message: message.isEmpty ? "HTTP status \(status)" : message,
            retryAfter: code.isTransient ? Self.retryAfter(from: headers, now: now) : nil,
            isTransient: override
        )
    }

    /// Classifies a transport failure (`HTTPClientError`, `CancellationError` or anything else).
    public static func transport(_ error: any Error, backend: String) -> BackendError {
        if let error = error as? BackendError {
            return error
        }
        if error is CancellationError {
            return BackendError(.canceled, backend: backend, message: "the call was cancelled")
        }
        guard let error = error as? HTTPClientError else {
            return BackendError(.connection, backend: backend, message: "transport failed: \(error)")
        }
        let code: Code
        switch error.code {
        case .timeout: code = .timeout
        case .tls: code = .tls
        case .invalidURL, .invalidRequest: code = .invalidConfiguration
        case .responseTooLarge: code = .invalidResponse
        case .cancelled, .shutdown: code = .canceled
        default: code = .connection
        }
        return BackendError(code, backend: backend, message: "\(error.code): \(error.message)")
    }

    /// The server's retry advice: `retry-after-ms` (milliseconds) first, then `retry-after`
    /// (seconds, possibly fractional, or an HTTP date). Nil when absent, unreadable or negative.
    public static func retryAfter(from headers: HTTPClientHeaders, now: Date = Date()) -> Duration? {
        if let text = headers["retry-after-ms"], let millis = Double(text.trimmingWhitespace), millis.isFinite, millis >= 0 {
            return .milliseconds(millis)
        }
        guard let text = headers["retry-after"].map({ String($0.trimmingWhitespace) }), !text.isEmpty else { return nil }
        if let seconds = Double(text) {
            return seconds.isFinite && seconds >= 0 ? .seconds(seconds) : nil
        }
        guard let date = HTTPDateParser.parse(text) else { return nil }
        let delay = date.timeIntervalSince(now)
        return .seconds(max(0, delay))
    }

    private static func mentionsDimensionMismatch(_ message: String) -> Bool {
        let lower = message.lowercased()
        return lower.contains("dimension error") || lower.contains("dimension mismatch")
            || lower.contains("expected dim")
    }
}


/// Parses the IMF-fixdate form of HTTP dates, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
enum HTTPDateParser {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The date, or nil when `text` is not an IMF-fixdate.
    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", parts[0].hasSuffix(","),
            let day = Int(parts[1]), (1...31).contains(day),
            let monthIndex = months.firstIndex(of: parts[2].lowercased()),
            let year = Int(parts[3]), (1970...9999).contains(year)
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]),
            (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = Self.daysFromCivil(year: year, month: monthIndex + 1, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthShifted = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthShifted + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
