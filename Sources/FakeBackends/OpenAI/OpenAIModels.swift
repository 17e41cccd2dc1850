import Hummingbird

/// `GET /v1/models` and `GET /v1/models/{id}`.
struct OpenAIModels {
    /// The fixed `created` time of every model and completion.
    static let created: Int64 = 1_700_000_000

    let configuration: FakeOpenAIServer.Configuration

    /// The list of every configured model.
    func list() -> Response {
        let data = configuration.allModels.map(Self.object)
        return HTTPSupport.json(200, JSONWriter.encode(.obj([("object", "list"), ("data", .array(data))])))
    }

    /// One model, or 404 `model_not_found`.
    func retrieve(_ id: String) throws(OpenAIError) -> Response {
        guard configuration.allModels.contains(id) else { throw .modelNotFound(id) }
        return HTTPSupport.json(200, JSONWriter.encode(Self.object(id)))
    }

    private static func object(_ id: String) -> JSONValue {
        .obj([("id", .string(id)), ("object", "model"), ("created", .int(created)), ("owned_by", "system")])
    }
}
