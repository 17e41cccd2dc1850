#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns the `data:` payloads of a streamed chat completion into text deltas and a final result.
///
/// Handles the role-only first chunk, the usage-only last chunk (`choices: []`), `[DONE]`, and an
/// `{"error":…}` object in the middle of the stream. A pure value type, so tests need no network.
struct OpenAIChatStreamAccumulator: Sendable {
    private var text = ""
    private var model: String?
    private var finishReason: FinishReason?
    private var usage: TokenUsage?
    /// Whether `[DONE]` arrived; later payloads are ignored.
    private(set) var isDone = false
    private let fallbackModel: String

    init(fallbackModel: String) {
        self.fallbackModel = fallbackModel
    }

    /// The answer so far (complete once the stream ended).
    var completion: ChatCompletion {
        ChatCompletion(text: self.text, model: self.model ?? self.fallbackModel, finishReason: self.finishReason, usage: self.usage)
    }

    /// Consumes one event's data and returns the text it adds (empty pieces are skipped).
    mutating func consume(_ data: String) throws -> [String] {
        guard !self.isDone else { return [] }
        if data.trimmingPrefix(" ") == "[DONE]" {
            self.isDone = true
            return []
        }
        let chunk: JSONValue
        do {
            chunk = try JSONValue(parsing: data.utf8)
        } catch {
            throw BackendError(.invalidResponse, backend: OpenAIConnection.backend, message: "could not read a stream chunk: \(error)")
        }
        if let error = OpenAIErrorEnvelope.parse(chunk) {
            let code: BackendError.Code =
                switch error.providerCode {
                case "rate_limit_exceeded", "requests", "tokens": .rateLimited
                case "insufficient_quota": .quotaExceeded
                case "invalid_request_error": .badRequest
                default: .serverError
                }
            throw BackendError(
                code,
                backend: OpenAIConnection.backend,
                providerCode: error.providerCode,
                message: "error inside the stream: \(error.message ?? "no message")"
            )
        }
        if let model = chunk["model"]?.stringValue {
            self.model = model
        }
        if let usage = OpenAIChatModel.Usage(json: chunk["usage"]) {
            self.usage = usage.tokenUsage
        }
        var pieces: [String] = []
        // Only the first choice (n = 1) makes the answer.
        for choice in chunk["choices"]?.arrayValue ?? [] where (choice["index"]?.intValue ?? 0) == 0 {
            if let piece = choice["delta"]?["content"]?.stringValue ?? choice["delta"]?["refusal"]?.stringValue, !piece.isEmpty {
                self.text += piece
                pieces.append(piece)
            }
            if let reason = choice["finish_reason"]?.stringValue {
                self.finishReason = FinishReason(reason)
            }
        }
        return pieces
    }
}
