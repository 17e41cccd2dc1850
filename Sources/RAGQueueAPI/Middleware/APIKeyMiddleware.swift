import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import RAGQueue
import Synchronization

/// Checks the caller's API key (`Authorization: Bearer <key>`, `X-API-Key`, or HTTP Basic with the
/// key as the password, which a browser can send) and takes a token from its rate limit. Health
/// routes (`/`, `/healthz`, `/readyz`) pass without a key. An operator's key (`adminKeys`) marks
/// the request `isAdmin`, with no tenant.
///
/// Failed authentications take tokens from a bucket per client address (shared by API processes
/// through the store); once it is empty the address is paused: every request from it is answered
/// 429 with `Retry-After`, before its key is even compared, so guessing keys gains nothing by speed.
///
/// Keys are compared by their SHA-256 digests in constant time (swift-crypto's digest equality),
/// against every configured key, so neither timing nor logs reveal them. With no tenant keys
/// configured every request passes (an operator's key, when presented, still marks it).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    private struct Entry: Sendable {
        let digest: SHA256.Digest
        /// Nil for an operator's key.
        let tenant: String?
        let keyID: String
    }

    private let entries: [Entry]
    /// Whether tenant keys are configured: without them the API is open.
    private let authenticates: Bool
    private let bucket: TokenBucket?
    private let failureBucket: TokenBucket?
    private let paused = PausedAddresses()
    private let store: any RateLimitStore
    private let metrics: APIMetrics

    /// Routes reachable without a key.
    static let publicPaths: Set<String> = ["/", "/healthz", "/readyz"]
    private static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    init(keys: [String: String], adminKeys: Set<String> = [], rateLimit: APIConfiguration.RateLimit, store: any RateLimitStore, metrics: APIMetrics) {
        let owners = keys.map { ($0.key, Optional($0.value)) } + adminKeys.map { ($0, String?.none) }
        self.entries = owners.map { key, tenant in
            let digest = SHA256.hash(data: Array(key.utf8))
            return Entry(digest: digest, tenant: tenant, keyID: digest.prefix(8).lowercaseHex)
        }
        self.authenticates = !keys.isEmpty
        self.bucket = rateLimit.isEnabled
            ? TokenBucket(capacity: rateLimit.burst, refillPerSecond: Double(rateLimit.requestsPerMinute) / 60) : nil
        self.failureBucket = rateLimit.authFailuresPerMinute > 0
            ? TokenBucket(capacity: rateLimit.authFailuresPerMinute, refillPerSecond: Double(rateLimit.authFailuresPerMinute) / 60) : nil
        self.store = store
        self.metrics = metrics
    }

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard authenticates, !Self.publicPaths.contains(request.uri.path) else {
            // An open API still knows its operators.
            var context = context
            if let presented = Self.presentedKey(request.headers), let entry = match(presented), entry.tenant == nil { context.isAdmin = true }
            return try await next(request, context)
        }
        let address = context.clientAddress ?? "unknown"
        if failureBucket != nil, let wait = paused.remaining(address) {
            metrics.rateLimited.increment()
            throw APIError.rateLimited(retryAfterSeconds: Int(wait.seconds.rounded(.up)))
        }
        guard let presented = Self.presentedKey(request.headers), let entry = match(presented) else {
            metrics.authFailures.increment()
            if let failureBucket, let decision = try? await store.takeToken(from: "auth-failures:" + address, limit: failureBucket),
               !decision.allowed
            {
                paused.pause(address, for: decision.retryAfter)
                metrics.rateLimited.increment()
                context.logger.warning("authentication failures throttled", metadata: ["client": "\(address)"])
                throw APIError.rateLimited(retryAfterSeconds: Int(decision.retryAfter.seconds.rounded(.up)))
            }
            throw APIError.unauthorized
        }
        var context = context
        context.tenant = entry.tenant
        context.isAdmin = entry.tenant == nil
        context.keyID = entry.keyID
        context.logger[metadataKey: "tenant"] = .string(entry.tenant ?? "(admin)")
        if let bucket {
            do {
                let decision = try await store.takeToken(from: entry.keyID, limit: bucket)
                if !decision.allowed {
                    metrics.rateLimited.increment()
                    let seconds = Int((decision.retryAfter.seconds).rounded(.up))
                    throw APIError.rateLimited(retryAfterSeconds: seconds)
                }
            } catch let error as QueueError {
                // Fail open: a store outage already refuses writes; reads should keep working.
                context.logger.warning("rate limit check failed; request allowed", metadata: ["error": "\(error.codeName)"])
            }
        }
        return try await next(request, context)
    }

    private func match(_ presented: String) -> Entry? {
        let digest = SHA256.hash(data: Array(presented.utf8))
        var found: Entry?
        // Every entry is compared, whatever matched before, so the time does not depend on which key it is.
        for entry in entries where entry.digest == digest {
            found = entry
        }
        return found
    }

    private static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = String(parts[1].trimmingWhitespace)
                if !key.isEmpty { return key }
            }
            // Basic: the key is the password; the user name is ignored.
            if parts.count == 2, parts[0].lowercased() == "basic",
               let decoded = Data(base64Encoded: String(parts[1].trimmingWhitespace)),
               let credentials = String(data: decoded, encoding: .utf8), let colon = credentials.firstIndex(of: ":")
            {
                let key = String(credentials[credentials.index(after: colon)...])
                if !key.isEmpty { return key }
            }
        }
        if let key = headers[apiKeyHeader], !key.isEmpty { return key }
        return nil
    }
}

/// Client addresses paused after too many failed authentications, until when; at most
/// `capacity` of them, the oldest pause dropped first when full.
final class PausedAddresses: Sendable {
    private let entries = Mutex<[String: ContinuousClock.Instant]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// How long `address` stays paused; nil when it is not.
    func remaining(_ address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        entries.withLock { entries in
            guard let until = entries[address] else { return nil }
            if until <= now {
                entries[address] = nil
                return nil
            }
            return now.duration(to: until)
        }
    }

    /// Pauses `address` for `length`.
    func pause(_ address: String, for length: Duration, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value > now }
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value < $1.value })?.key { entries[oldest] = nil }
            }
            entries[address] = now + length
        }
    }
}
