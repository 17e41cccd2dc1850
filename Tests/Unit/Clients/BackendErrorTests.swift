import Foundation
import Testing

@testable import RAGQueue

extension ClientsTests {
    @Suite("BackendError classification")
    struct BackendErrorTests {
        @Test(
            "HTTP statuses map to codes and retry decisions",
            arguments: [
                (429, BackendError.Code.rateLimited, true),
                (500, .serverError, true),
                (502, .serverError, true),
                (503, .serverError, true),
                (408, .timeout, true),
                (400, .badRequest, false),
                (422, .badRequest, false),
                (401, .unauthorized, false),
                (403, .forbidden, false),
                (404, .notFound, false),
                (409, .conflict, false),
            ]
        )
        func statuses(status: Int, code: BackendError.Code, transient: Bool) {
            let error = BackendError.classify(status: status, backend: "openai", message: "boom")
            #expect(error.code == code)
            #expect(error.isTransient == transient)
            #expect(error.status == status)
        }

        @Test("429 insufficient_quota is permanent, other 429s are not")
        func quota() {
            let quota = BackendError.classify(status: 429, backend: "openai", providerCode: "insufficient_quota", message: "You exceeded your current quota")
            #expect(quota.code == .quotaExceeded)
            #expect(!quota.isTransient)
            let limited = BackendError.classify(status: 429, backend: "openai", providerCode: "rate_limit_exceeded", message: "slow down")
            #expect(limited.code == .rateLimited)
            #expect(limited.isTransient)
        }

        @Test("a Qdrant vector dimension error is a permanent dimension mismatch")
        func dimension() {
            let error = BackendError.classify(
                status: 400,
                backend: "qdrant",
                message: "Wrong input: Vector dimension error: expected dim: 3072, got 1536"
            )
            #expect(error.code == .dimensionMismatch)
            #expect(!error.isTransient)
        }

        @Test("x-should-retry overrides the status's retry decision")
        func shouldRetryHeader() {
            let forced = BackendError.classify(status: 400, backend: "openai", message: "x", headers: ["X-Should-Retry": "true"])
            #expect(forced.isTransient)
            let vetoed = BackendError.classify(status: 503, backend: "openai", message: "x", headers: ["x-should-retry": "false"])
            #expect(!vetoed.isTransient)
            #expect(vetoed.code == .serverError)
        }

        @Test("retry-after-ms wins over retry-after")
        func retryAfterMilliseconds() {
            let headers: HTTPClientHeaders = ["retry-after": "5", "retry-after-ms": "1500"]
            #expect(BackendError.retryAfter(from: headers) == .milliseconds(1500))
            let error = BackendError.classify(status: 429, backend: "openai", message: "x", headers: headers)
            #expect(error.retryAfter == .milliseconds(1500))
        }

        @Test("retry-after takes whole and fractional seconds")
        func retryAfterSeconds() {
            #expect(BackendError.retryAfter(from: ["Retry-After": "2"]) == .seconds(2))
            #expect(BackendError.retryAfter(from: ["retry-after": "0.25"]) == .milliseconds(250))
            #expect(BackendError.retryAfter(from: ["retry-after": " 3 "]) == .seconds(3))
        }

        @Test("retry-after takes an HTTP date relative to now")
        func retryAfterDate() {
            let now = Date(timeIntervalSince1970: 784_111_767)  // Sun, 06 Nov 1994 08:49:27 GMT
            let delay = BackendError.retryAfter(from: ["retry-after": "Sun, 06 Nov 1994 08:49:37 GMT"], now: now)
            #expect(delay == .seconds(10))
            let past = BackendError.retryAfter(from: ["retry-after": "Sun, 06 Nov 1994 08:49:17 GMT"], now: now)
            #expect(past == .zero)
        }

        @Test("unreadable or negative retry advice is ignored")
        func retryAfterInvalid() {
            #expect(BackendError.retryAfter(from: [:]) == nil)
            #expect(BackendError.retryAfter(from: ["retry-after": "soon"]) == nil)
            #expect(BackendError.retryAfter(from: ["retry-after": "-1"]) == nil)
            #expect(BackendError.retryAfter(from: ["retry-after-ms": "nan", "retry-after": "1"]) == .seconds(1))
        }

        @Test("permanent errors carry no retry advice")
        func noRetryAfterWhenPermanent() {
            let error = BackendError.classify(status: 400, backend: "openai", message: "x", headers: ["retry-after": "1"])
            #expect(error.retryAfter == nil)
        }

        @Test("codes have stable metric labels")
        func labels() {
            #expect(BackendError.Code.rateLimited.description == "rate_limited")
            #expect(BackendError.Code.quotaExceeded.description == "quota_exceeded")
            #expect(BackendError.Code.dimensionMismatch.description == "dimension_mismatch")
            #expect(BackendError.Code.notFound.description == "not_found")
        }

        @Test("API keys never appear in messages or descriptions")
        func redaction() {
            let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
            let error = BackendError.classify(
                status: 401,
                backend: "openai",
                message: "Incorrect API key provided: \(key). Header was Authorization: Bearer \(key)"
            )
            #expect(!error.message.contains(key))
            #expect(!error.description.contains("abcdefghij"))
            let custom = BackendError(.unauthorized, backend: "qdrant", message: "bad key my-qdrant-secret-1").redacting(["my-qdrant-secret-1"])
            #expect(!custom.description.contains("my-qdrant-secret-1"))
            #expect(custom.message.contains("[redacted]"))
        }

        @Test("transport failures map to transient connection and timeout codes")
        func transport() {
            let refused = BackendError.transport(HTTPClientError(.connectFailed, message: "refused"), backend: "qdrant")
            #expect(refused.code == .connection)
            #expect(refused.isTransient)
            let timedOut = BackendError.transport(HTTPClientError(.timeout, message: "slow"), backend: "qdrant")
            #expect(timedOut.code == .timeout)
            #expect(timedOut.isTransient)
            let tls = BackendError.transport(HTTPClientError(.tls, message: "bad cert"), backend: "openai")
            #expect(!tls.isTransient)
            let cancelled = BackendError.transport(CancellationError(), backend: "openai")
            #expect(cancelled.code == .canceled)
            #expect(!cancelled.isTransient)
        }
    }
}
