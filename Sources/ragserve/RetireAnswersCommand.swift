import ArgumentParser
import Foundation
import RAGQueue

/// `ragserve retire-answers COLLECTION...`: after documents changed some other way than
/// `ragserve ingest`, no answer cached from the collections answers again.
struct RetireAnswersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire-answers",
        abstract: "Retire the cached answers of collections whose documents changed outside `ragserve ingest`.",
        discussion: "Bumps each collection's version in Valkey (VALKEY_URL), which every answer-cache key carries; "
            + "`ragserve ingest` does the same after it writes."
    )

    @Argument(help: "The collections.")
    var collections: [String]

    func validate() throws {
        guard !collections.isEmpty else { throw ValidationError("name at least one collection") }
        for collection in collections {
            do {
                try CollectionName.check(collection)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    /// What retiring `collection`'s answers says.
    static func retired(_ collection: String, version: Int64) -> String {
        "cached answers from `\(collection)` retired (collection version \(version))"
    }

    func run() async throws {
        let configuration = try CommandSupport.configuration()
        do {
            let store = try CommandSupport.queueStore(configuration)
            defer { store.close() }
            for collection in collections {
                let version = try await store.retireAnswers(of: collection)
                print(Self.retired(collection, version: version))
            }
        } catch {
            throw CommandSupport.fail(error)
        }
    }
}
