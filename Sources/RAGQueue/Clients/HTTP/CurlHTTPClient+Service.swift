import ServiceLifecycle

extension CurlHTTPClient: Service {
    /// Runs until graceful shutdown (or cancellation), then shuts the client down.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.shutdown()
    }
}
