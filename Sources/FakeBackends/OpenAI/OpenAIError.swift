/// An error answer in OpenAI's envelope: `{"error":{"message","type","param","code"}}`, all four
/// keys always present.
struct OpenAIError: Error, Sendable {
    /// The HTTP status.
    var status: Int
    /// `error.message`.
    var message: String
    /// `error.type`, e.g. `invalid_request_error`.
    var type: String
    /// `error.param`, or nil.
    var param: String?
    /// `error.code`, or nil.
    var code: String?
    /// Extra response headers (retry-after on 429/503).
    var headers: [(String, String)] = []

    /// The JSON body.
    var body: JSONValue {
        .obj([
            (
                "error",
                .obj([
                    ("message", .string(message)), ("type", .string(type)), ("param", .optional(param)),
                    ("code", .optional(code)),
                ])
            )
        ])
    }

    /// 400 for a request with a problem in `param`.
    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 400 for a body that is not JSON.
    static let unparsableJSON = invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
    )

    /// 400 for a request without `model`.
    static let missingModel = invalid("you must provide a model parameter")

    /// 404 for an unknown model.
    static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(
            status: 404, message: "The model `\(model)` does not exist or you do not have access to it.",
            type: "invalid_request_error", param: nil, code: "model_not_found")
    }

    /// 404 for an unknown path.
    static func invalidURL(method: String, path: String) -> OpenAIError {
        OpenAIError(status: 404, message: "Invalid URL (\(method) \(path))", type: "invalid_request_error", param: nil, code: nil)
    }

    /// 401 without a usable Authorization header.
    static let missingKey = OpenAIError(
        status: 401,
        message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error", param: nil, code: nil)

    /// 401 for a rejected key, masked as OpenAI masks it.
    static func invalidKey(_ key: String) -> OpenAIError {
        let characters = Array(key)
        let masked =
            characters.count > 10
            ? String(characters.prefix(6)) + String(repeating: "*", count: characters.count - 10) + String(characters.suffix(4))
            : String(characters.prefix(3)) + "***"
        return OpenAIError(
            status: 401,
            message: "Incorrect API key provided: \(masked). You can find your API key at https://platform.openai.com/account/api-keys.",
            type: "invalid_request_error", param: nil, code: "invalid_api_key")
    }

    /// 413 for a body above the size limit.
    static let tooLarge = OpenAIError(
        status: 413, message: "Request too large.", type: "invalid_request_error", param: nil, code: nil)

    /// The canonical error of an injected status fault, with `retry-after` on 429 and 503.
    static func injected(status: Int, retryAfter: Duration) -> OpenAIError {
        var error: OpenAIError
        switch status {
        case 400: error = invalid("Injected fault: bad request.")
        case 401: error = missingKey
        case 403:
            error = OpenAIError(
                status: 403, message: "Country, region, or territory not supported", type: "request_forbidden", param: nil,
                code: "unsupported_country_region_territory")
        case 404: error = OpenAIError(status: 404, message: "Injected fault: not found.", type: "invalid_request_error")
        case 429:
            error = OpenAIError(
                status: 429,
                message:
                    "Rate limit reached for requests in organization org-fake on requests per min (RPM). Please try again in \(retryAfter.goStyle). Visit https://platform.openai.com/account/rate-limits to learn more.",
                type: "requests", param: nil, code: "rate_limit_exceeded")
        case 500:
            error = OpenAIError(
                status: 500, message: "The server had an error while processing your request. Sorry about that!",
                type: "server_error", param: nil, code: nil)
        case 503:
            error = OpenAIError(
                status: 503, message: "The engine is currently overloaded, please try again later.",
                type: "service_unavailable_error", param: nil, code: "server_is_overloaded")
        default:
            error = OpenAIError(
                status: status, message: "Injected fault: status \(status).",
                type: status >= 500 ? "server_error" : "invalid_request_error", param: nil, code: nil)
        }
        if status == 429 || status == 503 { error.headers = retryAfterHeaders(retryAfter) }
        return error
    }

    /// `retry-after` in whole seconds (at least 1) and `retry-after-ms`, as OpenAI sends them.
    static func retryAfterHeaders(_ delay: Duration) -> [(String, String)] {
        let milliseconds = max(0, delay.ceilMilliseconds)
        let seconds = max(1, (milliseconds + 999) / 1000)
        return [("retry-after", String(seconds)), ("retry-after-ms", String(milliseconds))]
    }
}

extension OpenAIError {
    /// An error with the given status, message and type.
    init(status: Int, message: String, type: String) {
        self.init(status: status, message: message, type: type, param: nil, code: nil)
    }
}
