/// Where and how to reach an OpenAI-compatible API.
public struct OpenAIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The API root including `/v1`; default `https://api.openai.com/v1`. Any compatible server works.
    public var baseURL: String
    /// The API key, sent as `Authorization: Bearer <key>`; never logged or put in errors. Empty
    /// (the default) means none.
    public var apiKey: String
    /// Sent as `OpenAI-Organization` when set; default nil.
    public var organization: String?
    /// Sent as `OpenAI-Project` when set; default nil.
    public var project: String?

    /// The public OpenAI API.
    public static let defaultBaseURL = "https://api.openai.com/v1"

    /// Creates an endpoint.
    public init(apiKey: String = "", baseURL: String = OpenAIEndpoint.defaultBaseURL, organization: String? = nil, project: String? = nil) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.organization = organization
        self.project = project
    }

    /// The base URL with the key hidden.
    public var description: String {
        "OpenAIEndpoint(baseURL: \(self.baseURL), apiKey: \(self.apiKey.isEmpty ? "<none>" : "<redacted>"))"
    }
}
