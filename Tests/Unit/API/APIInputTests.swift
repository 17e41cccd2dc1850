import Foundation
import Hummingbird
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// Request validation, the error mapping, callback URL policy and configuration loading.
@Suite("API input and errors")
struct APIInputTests {
    let limits = APIConfiguration.Limits()
    let policy = CallbackURLPolicy(allowedHosts: ["hooks.example.com", ".internal.example"])

    @Test("A valid body becomes the payload, with defaults")
    func validBody() throws {
        let query = try QuerySubmission.parse(Array(#"{"query":"  What?  ","stream":true,"callback_url":"https://hooks.example.com/x"}"#.utf8), limits: limits, callbackPolicy: policy)
        #expect(query == RAGQuery(query: "What?", topK: 4, stream: true, callbackURL: "https://hooks.example.com/x"))
    }

    @Test("Malformed JSON is 400; missing or out-of-range fields are 422", arguments: [
        (#"{"#, 400), (#"not json"#, 400), (#"[]"#, 422), (#"{}"#, 422), (#"{"query":null}"#, 422),
        (#"{"query":5}"#, 422), (#"{"query":"q","top_k":99}"#, 422), (#"{"query":"q","collection":""}"#, 422),
        (#"{"query":"q","collection":"a/b"}"#, 422), (#"{"query":"q","filter":{"k":[1]}}"#, 422),
        (#"{"query":"q","callback_url":"https://evil.example.org/"}"#, 422),
        (#"{"query":"q","callback_url":"https://user:pw@hooks.example.com/"}"#, 422),
    ])
    func invalidBodies(body: String, status: Int) {
        #expect(throws: APIError.self) { try QuerySubmission.parse(Array(body.utf8), limits: limits, callbackPolicy: policy) }
        do {
            _ = try QuerySubmission.parse(Array(body.utf8), limits: limits, callbackPolicy: policy)
        } catch {
            #expect(error.status.code == status, "\(body)")
        }
    }

    @Test("Callback hosts: exact names and subdomains of a dotted entry")
    func callbackHosts() {
        #expect(policy.isAllowed(host: "hooks.example.com"))
        #expect(policy.isAllowed(host: "a.internal.example"))
        #expect(!policy.isAllowed(host: "internal.example"))
        #expect(!policy.isAllowed(host: "hooks.example.com.evil.org"))
        #expect(CallbackURLPolicy(allowedHosts: ["*"]).isAllowed(host: "anything"))
        #expect(!CallbackURLPolicy(allowedHosts: []).isAllowed(host: "localhost"))
    }

    @Test("Queue and Valkey errors map to statuses in one place")
    func errorMapping() {
        #expect(APIError.from(QueueError.queueFull(depth: 3)).status == .serviceUnavailable)
        #expect(APIError.from(QueueError.queueFull(depth: 3)).retryAfterSeconds != nil)
        #expect(APIError.from(QueueError.notFound(JobID())).status == .notFound)
        #expect(APIError.from(QueueError.alreadyEnded(JobID(), "finished")).status == .conflict)
        #expect(APIError.from(QueueError.backend(.connectionFailed("down"))).status == .serviceUnavailable)
        #expect(APIError.from(ValkeyError.connectionLost("gone")).status == .serviceUnavailable)
        #expect(APIError.from(HTTPError(.contentTooLarge)).status == .contentTooLarge)
        #expect(APIError.from(HTTPError(.notFound)).codeName == "not_found")
        #expect(APIError.from(CancellationError()).status == .internalServerError)
        #expect(APIError.from(CancellationError()).message == "internal error")
    }

    @Test("API settings come from the environment with the rest of the configuration")
    func environment() throws {
        let configuration = try RAGQueueConfiguration(environment: [
            "API_PORT": "9001", "API_KEYS": "env-key-12345678:tenant-e,other-key-1234:tenant-o",
            "API_RATE_LIMIT_PER_MINUTE": "30", "WEBHOOK_ALLOWED_HOSTS": "Hooks.Example.com, .corp",
        ]).api
        #expect(configuration.port == 9001)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.apiKeys == ["env-key-12345678": "tenant-e", "other-key-1234": "tenant-o"])
        #expect(configuration.rateLimit.requestsPerMinute == 30)
        #expect(configuration.webhooks.allowedHosts == ["hooks.example.com", ".corp"])
        #expect(throws: ConfigurationError.self) { try RAGQueueConfiguration(environment: ["API_PORT": "eighty"]) }
        #expect(throws: ConfigurationError.self) { try RAGQueueConfiguration(environment: ["API_KEYS": "no-tenant-given"]) }
        let names = RAGQueueConfiguration.environmentVariables.map(\.name)
        #expect(names.contains("API_KEYS") && names.contains("WEBHOOK_SECRET"))
        #expect(RAGQueueConfiguration.environmentVariables.filter(\.isSecret).map(\.name).contains("API_KEYS"))
    }

    @Test("A key file adds keys; short keys are refused")
    func keyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(JobID()).txt").path
        try "# keys\nfile-key-12345678 tenant-f\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = APIConfiguration()
        configuration.apiKeysFile = path
        try configuration.loadKeyFile()
        #expect(configuration.apiKeys == ["file-key-12345678": "tenant-f"])
        configuration.apiKeys["short"] = "t"
        #expect(throws: APIConfigurationError.self) { try configuration.validate() }
    }

    @Test("Last-Event-ID takes only stream entry ids", arguments: [
        ("1732900000000-0", true), ("0-0", true), ("18446744073709551615-18446744073709551615", true),
        ("", false), ("5", false), ("-1-0", false), ("+5-0", false), ("5-", false), ("1-2-3", false),
        ("18446744073709551616-0", false), ("١-٢", false), ("$", false), ("5-0 ", false),
    ])
    func lastEventIDs(text: String, accepted: Bool) {
        #expect((QueryEventStream.entryID(text) != nil) == accepted, "\(text)")
    }
}
