import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import RAGQueue

/// Checks the caller's API key (`Authorization: Bearer <key>` or `X-API-Key`) and takes a token
/// from its rate limit. Health routes (`/`, `/healthz`, `/readyz`) pass without a key.
///
/// Keys are compared by their SHA-256 digests in constant time (swift-crypto's digest equality),
/// against every configured key, so neither timing nor logs reveal them. With no keys configured
/// every request passes.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    private struct Entry: Sendable {
        let digest: SHA256.Digest
        let tenant: String
        let keyID: String
    }

    private let entries: [Entry]
    private let bucket: TokenBucket?
    private let store: any RateLimitStore
    private let metrics: APIMetrics

    /// Routes reachable without a key.
    static let publicPaths: Set<String> = ["/", "/healthz", "/readyz"]
    private static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    init(keys: [String: String], rateLimit: APIConfiguration.RateLimit, store: any RateLimitStore, metrics: APIMetrics) {
        self.entries = keys.map { key, tenant in
            let digest = SHA256.hash(data: Array(key.utf8))
            return Entry(digest: digest, tenant: tenant, keyID: digest.prefix(8).lowercaseHex)
        }
        self.bucket = rateLimit.isEnabled
            ? TokenBucket(capacity: rateLimit.burst, refillPerSecond: Double(rateLimit.requestsPerMinute) / 60) : nil
        self.store = store
        self.metrics = metrics
    }

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard !entries.isEmpty, !Self.publicPaths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        guard let presented = Self.presentedKey(request.headers), let entry = match(presented) else {
            metrics.authFailures.increment()
            throw APIError.unauthorized
        }
        var context = context
        context.tenant = entry.tenant
        context.keyID = entry.keyID
        context.logger[metadataKey: "tenant"] = .string(entry.tenant)
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
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty { return key }
            }
        }
        if let key = headers[apiKeyHeader], !key.isEmpty { return key }
        return nil
    }
}
