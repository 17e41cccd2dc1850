import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// The hand-written OpenAPI document and the router describe the same routes.
@Suite("API OpenAPI document")
struct OpenAPISpecTests {
    /// `METHOD /path` for every operation under `paths:` in the YAML.
    static func specOperations() -> Set<String> {
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in OpenAPISpec.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(method) {
                    operations.insert("\(method) \(path)")
                }
            }
        }
        return operations
    }

    @Test("Every routed operation is documented, and every documented one is routed")
    func specMatchesRouter() throws {
        let dependencies = APIDependencies(
            store: try InMemoryJobStore(), rules: QueryRules(), configuration: APIConfiguration(), metrics: APIMetrics(), webhooks: nil
        )
        let routed = Set(buildAPIRouter(dependencies).routes.map { "\($0.method.rawValue) \(OpenAPISpec.template($0.path.description))" })
        let documented = Self.specOperations()
        #expect(routed.count == 23)
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
    }
}
