import Testing
@testable import RAGQueue

@Suite("Valkey URLs")
struct ValkeyConfigurationTests {
    @Test("host, port, password and database come from the URL")
    func full() throws {
        let configuration = try ValkeyConfiguration(url: "valkey://:s3cret@cache.internal:6380/2")
        #expect(configuration.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(configuration.password == "s3cret")
        #expect(configuration.username == nil)
        #expect(configuration.database == 2)
        #expect(!configuration.redactedDescription.contains("s3cret"))
    }

    @Test("redis:// works too, with user and defaults")
    func redisScheme() throws {
        let configuration = try ValkeyConfiguration(url: "redis://app:pw%40x@localhost")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(configuration.username == "app")
        #expect(configuration.password == "pw@x")
        #expect(configuration.database == 0)
    }

    @Test("unix sockets take a db query")
    func unixSocket() throws {
        let configuration = try ValkeyConfiguration(url: "unix:///run/valkey.sock?db=3")
        #expect(configuration.endpoint == .unix(path: "/run/valkey.sock"))
        #expect(configuration.database == 3)
    }

    @Test("bad URLs get a clear error", arguments: ["http://localhost", "valkey://host:99999", "valkey://host/abc", "rediss://host", "not a url", "unix://"])
    func bad(url: String) {
        #expect(throws: ValkeyError.self) { try ValkeyConfiguration(url: url) }
    }
}
