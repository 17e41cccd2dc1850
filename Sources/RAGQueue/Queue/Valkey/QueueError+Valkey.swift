import Valkey

extension QueueError {
    /// Valkey could not be reached or answered with an error.
    static func backend(_ error: ValkeyError) -> QueueError {
        .backend(error, detail: error.message)
    }
}
