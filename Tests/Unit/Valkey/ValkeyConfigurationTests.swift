import Testing
import Valkey

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

    @Test("rediss:// and valkeys:// are TCP over TLS, verified against a CA file and server name when given")
    func tls() throws {
        let plain = try ValkeyConfiguration(url: "valkey://cache:6380")
        #expect(plain.tls == nil)
        let system = try ValkeyConfiguration(url: "rediss://:pw@cache.internal:6380/1")
        #expect(system.tls == .init(caFile: nil, serverName: nil), "the system's trust store")
        #expect(system.endpoint == .tcp(host: "cache.internal", port: 6380) && system.database == 1)
        #expect(system.redactedDescription == "valkeys://cache.internal:6380/1")
        let own = try ValkeyConfiguration(url: "valkeys://10.0.0.7?tls_ca_file=/etc/ragqueue/ca.pem&tls_server_name=valkey.internal")
        #expect(own.tls == .init(caFile: "/etc/ragqueue/ca.pem", serverName: "valkey.internal"))
    }

    @Test("a sentinel URL lists the sentinels (port 26379 by default), then the primary's name and db; credentials are the primary's")
    func sentinel() throws {
        let configuration = try ValkeyConfiguration(url: "valkey-sentinel://app:pw%40x@10.0.0.1:26380,sentinel-b,[::1]:26381/orders/2")
        #expect(configuration.endpoint == .sentinel(
            sentinels: [.init(host: "10.0.0.1", port: 26380), .init(host: "sentinel-b", port: 26379), .init(host: "::1", port: 26381)],
            primary: "orders"
        ))
        #expect(configuration.username == "app")
        #expect(configuration.password == "pw@x")
        #expect(configuration.database == 2)
        #expect(configuration.redactedDescription == "valkey-sentinel://10.0.0.1:26380,sentinel-b:26379,[::1]:26381/orders/2")
    }

    @Test(
        "bad URLs get a clear error",
        arguments: [
            "http://localhost", "valkey://host:99999", "valkey://host/abc", "rediss://host:0", "not a url", "unix://",
            "valkey-sentinel://host:26379", "valkey-sentinel:///mymaster", "valkey-sentinel://host:0/mymaster", "valkey-sentinel://h/m/x",
        ]
    )
    func bad(url: String) {
        #expect(throws: ValkeyError.self) { try ValkeyConfiguration(url: url) }
    }

    @Test("commands encode every argument as bytes")
    func commandEncoding() {
        let command = ValkeyCommand("EVALSHA", "abc", 2, Int64(-5), [UInt8]([0, 255]))
        #expect(command.arguments == [Array("EVALSHA".utf8), Array("abc".utf8), Array("2".utf8), Array("-5".utf8), [0, 255]])
    }

    @Test("scripts are named by the SHA-1 of their source, as the server names them")
    func scriptDigest() {
        // `echo -n "return 1" | sha1sum`, as Valkey's SCRIPT LOAD answers for the same source.
        #expect(ValkeyScript(name: "one", source: "return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }
}
