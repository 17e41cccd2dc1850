/// A query that cannot be accepted: not JSON at all, or a field that breaks the contract.
///
/// The API answers `malformed` with 400 and `invalid` with 422; the worker fails such a payload at
/// once as `invalid_payload`. The message names the field and what is accepted.
public struct QueryValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case malformed = "malformed_json"
        case invalid = "invalid_query"
    }

    private let code: Code
    /// The field at fault (`top_k`, `filter.metadata.page`, ...); nil for the body as a whole.
    public let field: String?
    /// What is wrong and what is accepted.
    public let message: String

    private init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// The text is not JSON.
    public static func malformed(_ message: String) -> QueryValidationError { .init(.malformed, field: nil, message) }
    /// `field` breaks the contract.
    public static func invalid(_ field: String?, _ message: String) -> QueryValidationError { .init(.invalid, field: field, message) }

    /// Whether the text was not JSON (rather than JSON that breaks the contract).
    public var isMalformed: Bool { code == .malformed }
    /// A short stable code: `malformed_json` or `invalid_query`.
    public var codeName: String { code.rawValue }

    public var description: String { message }
}
