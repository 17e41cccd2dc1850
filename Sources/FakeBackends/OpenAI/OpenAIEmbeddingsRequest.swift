import Hummingbird

/// A validated `POST /v1/embeddings` request and its answer.
struct OpenAIEmbeddingsRequest {
    /// Most inputs per request.
    static let maxInputs = 2048
    /// Most tokens per input.
    static let maxTokensPerInput = 8192
    /// Most tokens per request.
    static let maxTokensPerRequest = 300_000

    let model: String
    let inputs: [BagOfWordsEmbedder.Input]
    let base64: Bool
    let dimensions: Int?
    let nativeDimensions: Int
    /// `usage.prompt_tokens`: ceil(UTF-8 bytes / 4) per string, or the length of a token list.
    let promptTokens: Int

    /// Parses and validates `body` against the configured models; throws OpenAI's 400/404.
    init(body: [UInt8], models: [String: Int]) throws(OpenAIError) {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else { throw .unparsableJSON }
        guard let modelValue = json["model"], !modelValue.isNull else { throw .missingModel }
        guard let model = modelValue.stringValue else {
            throw .invalid("Invalid type for 'model': expected a string, but got \(modelValue.kindName) instead.", param: "model", code: "invalid_type")
        }
        guard let native = models[model] else { throw .modelNotFound(model) }
        self.model = model
        self.nativeDimensions = native

        let invalidInput = OpenAIError.invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
        guard let input = json["input"] else {
            throw .invalid("Missing required parameter: 'input'.", param: "input", code: "missing_required_parameter")
        }
        var inputs = [BagOfWordsEmbedder.Input]()
        var tokenCounts = [Int]()
        switch input {
        case .string(let text):
            guard !text.isEmpty else { throw invalidInput }
            inputs = [.text(text)]
            tokenCounts = [Self.tokenEstimate(text)]
        case .array(let items):
            guard !items.isEmpty, items.count <= Self.maxInputs else { throw invalidInput }
            if items.allSatisfy({ $0.stringValue != nil }) {
                for item in items {
                    let text = item.stringValue ?? ""
                    guard !text.isEmpty else { throw invalidInput }
                    inputs.append(.text(text))
                    tokenCounts.append(Self.tokenEstimate(text))
                }
            } else if let tokens = Self.tokenList(items) {
                inputs = [.tokens(tokens)]
                tokenCounts = [tokens.count]
            } else {
                for item in items {
                    guard let list = item.arrayValue, !list.isEmpty, let tokens = Self.tokenList(list) else { throw invalidInput }
                    inputs.append(.tokens(tokens))
                    tokenCounts.append(tokens.count)
                }
            }
        default:
            throw invalidInput
        }
        if let longest = tokenCounts.max(), longest > Self.maxTokensPerInput {
            throw .invalid(
                "This model's maximum context length is \(Self.maxTokensPerInput) tokens, however you requested \(longest) tokens (\(longest) in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
                param: nil, code: nil)
        }
        let total = tokenCounts.reduce(0, +)
        if total > Self.maxTokensPerRequest {
            throw .invalid("Requested \(total) tokens, max \(Self.maxTokensPerRequest) tokens per request", param: "input", code: "max_tokens_per_request")
        }
        self.inputs = inputs
        self.promptTokens = total

        switch json["encoding_format"] {
        case nil, .null?, .string("float")?: base64 = false
        case .string("base64")?: base64 = true
        case let other?:
            let shown = other.stringValue ?? String(decoding: JSONWriter.encode(other), as: UTF8.self)
            throw .invalid("'\(shown)' is not one of ['float', 'base64'] - 'encoding_format'", param: "encoding_format", code: "invalid_value")
        }

        switch json["dimensions"] {
        case nil, .null?:
            dimensions = nil
        case let value?:
            guard let requested = value.intValue else {
                throw .invalid("Invalid type for 'dimensions': expected an integer, but got \(value.kindName) instead.", param: "dimensions", code: "invalid_type")
            }
            guard model.hasPrefix("text-embedding-3") else {
                throw .invalid("This model does not support specifying dimensions.", param: "dimensions", code: nil)
            }
            guard requested >= 1, requested <= native else {
                throw .invalid("Invalid value for 'dimensions' = \(requested). Must be between 1 and \(native).", param: "dimensions", code: "invalid_value")
            }
            dimensions = Int(requested)
        }
    }

    /// ceil(UTF-8 bytes / 4), at least 1.
    static func tokenEstimate(_ text: String) -> Int {
        max(1, (text.utf8.count + 3) / 4)
    }

    private static func tokenList(_ items: [JSONValue]) -> [Int64]? {
        var tokens = [Int64]()
        tokens.reserveCapacity(items.count)
        for item in items {
            guard case .int(let token) = item, token >= 0 else { return nil }
            tokens.append(token)
        }
        return tokens
    }

    /// The embeddings, float arrays or base64 strings, in input order.
    func respond() -> Response {
        var data = [JSONValue]()
        data.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            let vector = BagOfWordsEmbedder.embed(input, model: model, nativeDimensions: nativeDimensions, dimensions: dimensions)
            let embedding: JSONValue = base64 ? .string(Base64.encodeFloats(vector)) : .floats(vector)
            data.append(.obj([("object", "embedding"), ("index", .int(Int64(index))), ("embedding", embedding)]))
        }
        let body = JSONValue.obj([
            ("object", "list"), ("data", .array(data)), ("model", .string(model)),
            ("usage", .obj([("prompt_tokens", .int(Int64(promptTokens))), ("total_tokens", .int(Int64(promptTokens)))])),
        ])
        var writer = JSONWriter(capacity: inputs.count * (dimensions ?? nativeDimensions) * 12 + 256)
        writer.write(body)
        return HTTPSupport.json(200, writer.bytes)
    }
}
