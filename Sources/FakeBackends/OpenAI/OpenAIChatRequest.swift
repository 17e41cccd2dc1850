import Hummingbird

/// A validated `POST /v1/chat/completions` request and its answer, plain or streamed.
struct OpenAIChatRequest {
    /// The completion the request gets, computed before answering (its size feeds the rate limit).
    struct Completion {
        /// The answer's tokens, cut to the token limit; they concatenate to `content`.
        var tokens: [String]
        /// The message content.
        var content: String
        /// `stop`, or `length` when cut by `max_completion_tokens`.
        var finishReason: String
        /// Token counts.
        var usage: (prompt: Int, completion: Int, total: Int)
    }

    let model: String
    let messages: [FakeChatModel.Message]
    let stream: Bool
    let includeUsage: Bool
    let choices: Int
    let completion: Completion
    let id: String
    let fingerprint: String

    /// Parses and validates `body`; throws OpenAI's 400/404.
    init(body: [UInt8], models: [String]) throws(OpenAIError) {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else { throw .unparsableJSON }
        guard let modelValue = json["model"], !modelValue.isNull else { throw .missingModel }
        guard let model = modelValue.stringValue else {
            throw .invalid("Invalid type for 'model': expected a string, but got \(modelValue.kindName) instead.", param: "model", code: "invalid_type")
        }
        self.model = model
        self.messages = try Self.messages(json["messages"])
        guard models.contains(model) else { throw .modelNotFound(model) }

        switch json["stream"] {
        case nil, .null?: stream = false
        case .bool(let flag)?: stream = flag
        case let other?:
            throw .invalid("Invalid type for 'stream': expected a boolean, but got \(other.kindName) instead.", param: "stream", code: "invalid_type")
        }
        if let options = json["stream_options"], !options.isNull {
            guard stream else {
                throw .invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options", code: nil)
            }
            includeUsage = options["include_usage"]?.boolValue ?? false
        } else {
            includeUsage = false
        }
        choices = try Self.positiveInt(json, "n", maximum: 128) ?? 1
        let newLimit = try Self.positiveInt(json, "max_completion_tokens", maximum: Int.max)
        let oldLimit = try Self.positiveInt(json, "max_tokens", maximum: Int.max)
        let limit = newLimit ?? oldLimit

        let answerTokens = FakeChatModel.tokens(of: FakeChatModel.answer(to: messages))
        let kept = limit.map { Array(answerTokens.prefix($0)) } ?? answerTokens
        let prompt = FakeChatModel.promptTokens(of: messages)
        completion = Completion(
            tokens: kept,
            content: kept.joined(),
            finishReason: kept.count < answerTokens.count ? "length" : "stop",
            usage: (prompt, kept.count * choices, prompt + kept.count * choices)
        )
        let digest = SHA256Hex.of(body)
        id = "chatcmpl-" + String(digest.prefix(29))
        fingerprint = "fp_" + String(SHA256Hex.of("fake-fingerprint " + model).prefix(10))
    }

    private static func positiveInt(_ json: JSONValue, _ name: String, maximum: Int) throws(OpenAIError) -> Int? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let number = value.intValue else {
            throw .invalid("Invalid type for '\(name)': expected an integer, but got \(value.kindName) instead.", param: name, code: "invalid_type")
        }
        guard number >= 1 else {
            throw .invalid(
                "Invalid '\(name)': integer below minimum value. Expected a value >= 1, but got \(number) instead.", param: name,
                code: "integer_below_min_value")
        }
        guard number <= maximum else {
            throw .invalid(
                "Invalid '\(name)': integer above maximum value. Expected a value <= \(maximum), but got \(number) instead.",
                param: name, code: "integer_above_max_value")
        }
        return Int(number)
    }

    private static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]

    private static func messages(_ value: JSONValue?) throws(OpenAIError) -> [FakeChatModel.Message] {
        guard let value, !value.isNull else {
            throw .invalid("Missing required parameter: 'messages'.", param: "messages", code: "missing_required_parameter")
        }
        guard let items = value.arrayValue else {
            throw .invalid(
                "Invalid type for 'messages': expected an array of objects, but got \(value.kindName) instead.", param: "messages",
                code: "invalid_type")
        }
        guard !items.isEmpty else {
            throw .invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                param: "messages", code: "empty_array")
        }
        var messages = [FakeChatModel.Message]()
        for (index, item) in items.enumerated() {
            guard item.objectValue != nil else {
                throw .invalid(
                    "Invalid type for 'messages[\(index)]': expected an object, but got \(item.kindName) instead.",
                    param: "messages[\(index)]", code: "invalid_type")
            }
            guard let role = item["role"]?.stringValue else {
                throw .invalid("Missing required parameter: 'messages[\(index)].role'.", param: "messages[\(index)].role", code: "missing_required_parameter")
            }
            guard roles.contains(role) else {
                throw .invalid(
                    "Invalid value: '\(role)'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
                    param: "messages[\(index)].role", code: "invalid_value")
            }
            messages.append(FakeChatModel.Message(role: role, content: try content(item["content"], index: index, role: role)))
        }
        return messages
    }

    private static func content(_ value: JSONValue?, index: Int, role: String) throws(OpenAIError) -> String {
        switch value {
        case .string(let text)?:
            return text
        case .array(let parts)?:
            var texts = [String]()
            for part in parts {
                guard part.objectValue != nil, part["type"]?.stringValue != nil else {
                    throw .invalid("Invalid content part in 'messages[\(index)].content'.", param: "messages[\(index)].content", code: "invalid_type")
                }
                if let text = part["text"]?.stringValue { texts.append(text) }
            }
            return texts.joined(separator: "\n")
        case nil, .null?:
            guard role == "assistant" else {
                throw .invalid(
                    "Invalid value for 'content': expected a string, got null.", param: "messages.[\(index)].content", code: nil)
            }
            return ""
        case let other?:
            throw .invalid(
                "Invalid type for 'messages[\(index)].content': expected one of a string or array of objects, but got \(other.kindName) instead.",
                param: "messages[\(index)].content", code: "invalid_type")
        }
    }
}
