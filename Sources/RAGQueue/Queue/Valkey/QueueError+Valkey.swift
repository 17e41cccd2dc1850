import Valkey

extension QueueError {
    /// Valkey could not be reached or answered with an error.
    static func backend(_ error: ValkeyError) -> QueueError {
        .backend(error, detail: error.message)
    }

    /// Whether Valkey refused a write because it is full (`maxmemory` reached under `noeviction`):
    /// nothing of the operation was written, and it may succeed once memory is freed.
    public var isOutOfMemory: Bool { (underlying as? ValkeyError)?.isOutOfMemory ?? false }
}
