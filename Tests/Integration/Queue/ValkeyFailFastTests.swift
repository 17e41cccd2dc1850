import Foundation
import RAGQueueTestSupport
import Testing
import Valkey

/// A fail-fast client (the API's) on a Valkey that stops answering: one command waits out its
/// timeout, the next ones are refused without being sent, and the client lets commands through
/// again by itself once the server answers its probe.
@Suite("Valkey client: fail fast while the server is known down", .timeLimit(.minutes(1)))
struct ValkeyFailFastTests {
    @Test("after one timeout on a frozen Valkey, commands are refused unsent (safe to retry) until the probe hears from the server again")
    func frozenServer() async throws {
        try await withQueue { queue in
            let pid = try #require(queue.server.pid)
            var configuration = try ValkeyConfiguration(url: queue.server.url)
            configuration.commandTimeout = .milliseconds(300)
            configuration.connectTimeout = .milliseconds(300)
            configuration.reconnect.maximumWait = .milliseconds(300)
            configuration.failFast = .milliseconds(50)
            let client = ValkeyClient(configuration: configuration)
            defer { client.close() }
            _ = try await client.send("SET", "before", "1")
            #expect(!client.isKnownDown)

            kill(pid, SIGSTOP)
            let first = await #expect(throws: ValkeyError.self) { try await client.send("GET", "before") }
            #expect(first?.isConnectionError == true)
            #expect(client.isKnownDown, "a timeout marks the server down")
            // Refused without being sent: a write that fails so never happened, and a retry is safe.
            let refused = await #expect(throws: ValkeyError.self) { try await client.send("SET", "during", "1") }
            #expect(refused?.codeName == "connection_failed")
            #expect(refused?.message.contains("not sent") == true)

            kill(pid, SIGCONT)
            try await eventually("the probe to find the server answering again") { !client.isKnownDown }
            #expect(try await client.send("GET", "before").string == "1")
            #expect(try await client.send("EXISTS", "during").int == 0, "the refused write was never sent")
        }
    }
}
