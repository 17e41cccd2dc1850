import Foundation
import RAGQueueTestSupport
import Testing
import Valkey

/// `rediss://`: TLS from the Valkey client to a real TLS Valkey, with certificates made per test.
/// (The queue's contract suites also run over TLS: `StoreKind.valkeyTLS`.)
@Suite("Valkey client over TLS", .timeLimit(.minutes(2)))
struct ValkeyTLSTests {
    @Test("replies of megabytes and pipelines of hundreds of commands pass through the TLS connection whole, in order")
    func largePipelines() async throws {
        try await withQueue(tls: true) { queue in
            #expect(queue.url.hasPrefix("rediss://"))
            let value = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            _ = try await queue.client.send(ValkeyCommand("SET", "big", value))
            let replies = await queue.client.pipeline((0..<400).map { ValkeyCommand("GET", $0 % 100 == 0 ? "big" : "missing-\($0)") })
            #expect(replies.count == 400)
            for (index, reply) in replies.enumerated() {
                let reply = try reply.get()
                if index % 100 == 0 {
                    #expect(reply == .bulk(value), "reply \(index) is the 3 MB value")
                } else {
                    #expect(reply == .null, "reply \(index) is its own")
                }
            }
        }
    }

    @Test("a server whose certificate no trusted CA signed, or that names another host, is refused with the reason")
    func verification() async throws {
        try await withQueue(tls: true) { queue in
            let stranger = try await TestCertificates.make()
            defer { stranger.cleanUp() }
            let plain = queue.url.split(separator: "?")[0]
            for (url, reason) in [
                ("\(plain)?tls_ca_file=\(stranger.caFile)", "certificate verify failed"),
                ("\(queue.url)&tls_server_name=valkey.example.org", "certificate verify failed"),
                ("\(plain)?tls_ca_file=/nonexistent/ca.pem", "cannot load the CA file"),
            ] {
                var configuration = try ValkeyConfiguration(url: url)
                configuration.reconnect.maximumWait = .zero
                let client = ValkeyClient(configuration: configuration)
                defer { client.close() }
                let refused = await #expect(throws: ValkeyError.self) { try await client.send("PING") }
                #expect(refused?.codeName == "connection_failed")
                #expect(refused?.message.contains(reason) == true, "\(url): \(refused?.message ?? "")")
            }
        }
    }
}
