import Hummingbird
import NIOCore

/// The request context of both fakes: Hummingbird's core storage plus the connection's channel,
/// which the connection-reset fault closes abruptly.
struct FakeRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    var coreContext: CoreRequestContextStorage
    /// The TCP connection the request arrived on.
    let channel: any Channel

    /// Builds the context for one request.
    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
