import Hummingbird
import RAGQueue

/// The per-request context of the API: Hummingbird's storage plus who is calling.
public struct APIRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The request's id (`X-Request-Id`, accepted or generated), carried into the job.
    public var requestID: String = ""
    /// The tenant of the caller's API key; nil when the API runs without keys.
    public var tenant: String?
    /// A stable, non-secret name of the caller's key (a digest prefix), for the rate limit.
    public var keyID: String?
    /// Whether the caller presented an operator's key (`APIConfiguration.adminKeys`).
    public var isAdmin = false
    /// The peer's IP address, for the failed-authentication throttle; nil when unknown.
    public var clientAddress: String?

    /// Builds the context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }
}
