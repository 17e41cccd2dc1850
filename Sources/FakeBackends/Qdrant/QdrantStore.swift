import Synchronization

/// The fake Qdrant's collections, shared by all requests. Reads take a copy-on-write snapshot of
/// a collection so searches run outside the lock.
final class QdrantStore: Sendable {
    private let collections = Mutex<[String: QdrantCollection]>([:])

    /// An empty store.
    init() {}

    /// The collection named `name`, or a 404.
    func collection(_ name: String) throws(QdrantError) -> QdrantCollection {
        guard let collection = collections.withLock({ $0[name] }) else { throw .collectionNotFound(name) }
        return collection
    }

    /// Whether `name` exists.
    func exists(_ name: String) -> Bool {
        collections.withLock { $0[name] != nil }
    }

    /// Collection names, sorted.
    func names() -> [String] {
        collections.withLock { $0.keys.sorted() }
    }

    /// Adds a collection; 409 if the name is taken.
    func create(_ collection: QdrantCollection) throws(QdrantError) {
        let added = collections.withLock { all -> Bool in
            guard all[collection.name] == nil else { return false }
            all[collection.name] = collection
            return true
        }
        guard added else { throw QdrantError(status: 409, message: "Wrong input: Collection `\(collection.name)` already exists!") }
    }

    /// Removes a collection; false if it was not there.
    func delete(_ name: String) -> Bool {
        collections.withLock { $0.removeValue(forKey: name) != nil }
    }

    /// Changes a collection in place under the lock; 404 if it is missing.
    func update<Result>(_ name: String, _ change: (inout QdrantCollection) throws(QdrantError) -> Result) throws(QdrantError) -> Result {
        let outcome: Swift.Result<Result, QdrantError> = collections.withLock { all in
            guard var collection = all[name] else { return .failure(.collectionNotFound(name)) }
            all[name] = nil  // keep the collection uniquely referenced while it changes
            defer { all[name] = collection }
            do throws(QdrantError) {
                return .success(try change(&collection))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
