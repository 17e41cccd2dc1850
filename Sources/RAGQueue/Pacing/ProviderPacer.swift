import Logging
import Synchronization

/// Paces one model's calls against its provider's per-minute budgets, which every worker process
/// shares through the queue's store (`ProviderLimitStore`): a call first reserves a request and its
/// estimated tokens (waiting while the budget is spent; the job's lease renewals go on meanwhile),
/// then settles with the tokens really used. A 429 pauses the model for everyone, for as long as
/// the provider asked. Limits not configured are learned from the `x-ratelimit-*` headers.
///
/// The store being unreachable never stops a call: pacing is a courtesy to the provider, the
/// queue's retries are the safety net.
public final class ProviderPacer: Sendable {
    /// The model whose budgets this paces.
    public let model: String
    /// Limits set by configuration; unset ones are learned.
    public let limits: ProviderLimits
    private let store: any ProviderLimitStore
    private let logger: Logger
    /// The latest rate-limit headers, handed to the store with the next settlement.
    private let observed = Mutex<ProviderLimits.Observation?>(nil)
    /// The longest single wait before the budget is asked again.
    static let maximumWait: Duration = .seconds(5)

    /// Whether and by what limits calls are paced.
    public struct Configuration: Sendable, Hashable {
        /// Whether calls wait for the providers' budgets. Default true.
        public var isEnabled = true
        /// The chat model's limits; unset ones are learned from its responses.
        public var chat = ProviderLimits()
        /// The embeddings model's limits; unset ones are learned from its responses.
        public var embeddings = ProviderLimits()

        /// The defaults: on, limits learned.
        public init() {}
    }

    /// A pacer of `model`'s calls through `store`.
    public init(model: String, limits: ProviderLimits, store: any ProviderLimitStore, logger: Logger) {
        self.model = model
        self.limits = limits
        self.store = store
        self.logger = logger
    }

    /// Notes a response's rate-limit headers (the client's observer).
    public func observe(_ headers: OpenAIRateLimitHeaders) {
        observed.withLock {
            $0 = ProviderLimits.Observation(
                limitRequests: headers.limitRequests, limitTokens: headers.limitTokens,
                remainingRequests: headers.remainingRequests, remainingTokens: headers.remainingTokens
            )
        }
    }

    /// Runs `call` once `estimate` tokens are reserved; settles with `used(result)` tokens.
    public func paced<T: Sendable>(estimate: Int, _ call: () async throws -> T, used: (T) -> Int) async throws -> T {
        try await reserve(estimate)
        let result: T
        do {
            result = try await call()
        } catch {
            await refused(estimate, error: error)
            throw error
        }
        await settle(estimate, used: used(result))
        return result
    }

    /// A call failed and used nothing: its reservation comes back, and after a 429 everyone waits
    /// as long as the provider asked.
    func refused(_ reserved: Int, error: any Error) async {
        await settle(reserved, used: 0)
        if let error = error as? BackendError, error.code == .rateLimited {
            try? await store.pauseProvider(model: model, for: error.retryAfter ?? .seconds(1))
        }
    }

    /// Waits until the budget holds `tokens` more, and takes them.
    func reserve(_ tokens: Int) async throws {
        while true {
            let wait: Duration
            do {
                wait = try await store.reserveProviderCapacity(model: model, tokens: tokens, limits: limits)
            } catch {
                logger.debug("provider budget unreachable; calling without pacing", metadata: ["model": .string(model)])
                return
            }
            guard wait > .zero else { return }
            try await Task.sleep(for: min(wait, Self.maximumWait))
        }
    }

    /// Corrects the reservation with what was used, passing on what the provider last said.
    func settle(_ reserved: Int, used: Int) async {
        let observation = observed.withLock { value in
            defer { value = nil }
            return value
        }
        try? await store.settleProviderCapacity(model: model, reserved: reserved, used: used, observation: observation, limits: limits)
    }

    /// Tokens of `text`: about four bytes each, rounded up (what providers count, near enough).
    static func tokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }
}
