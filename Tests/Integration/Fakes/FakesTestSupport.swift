import FakeBackends
import Foundation

/// Starts a fake, runs `body`, and always stops the fake.
func withOpenAI<T>(
    _ configuration: FakeOpenAIServer.Configuration = .init(),
    _ body: (FakeOpenAIServer) async throws -> T
) async throws -> T {
    let server = FakeOpenAIServer(configuration: configuration)
    try await server.start()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Starts a fake Qdrant, runs `body`, and always stops it.
func withQdrant<T>(
    _ configuration: FakeQdrantServer.Configuration = .init(),
    _ body: (FakeQdrantServer) async throws -> T
) async throws -> T {
    let server = FakeQdrantServer(configuration: configuration)
    try await server.start()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Parses a response body as JSON (Foundation, independent of the fakes' own parser).
func json(_ response: RawHTTP.Response) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
        throw RawHTTP.Failure(description: "body is not a JSON object: \(response.text)")
    }
    return object
}

/// The `error` object of an OpenAI error body.
func openAIError(_ response: RawHTTP.Response) throws -> [String: Any] {
    try json(response)["error"] as? [String: Any] ?? [:]
}

/// Decodes a base64 string of little-endian float32 values.
func decodeFloats(_ text: String) -> [Float]? {
    guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
    return stride(from: 0, to: data.count, by: 4).map { offset in
        let bits = UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
        return Float(bitPattern: bits)
    }
}

/// Numbers of a JSON array as float32.
func floats(_ value: Any?) -> [Float] {
    (value as? [Any])?.compactMap { ($0 as? NSNumber)?.floatValue } ?? []
}

/// The dot product of two vectors.
func dot(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

/// The Euclidean length of a vector.
func length(_ a: [Float]) -> Float {
    dot(a, a).squareRoot()
}

/// The `data:` payloads of an SSE body, in order.
func sseData(_ text: String) -> [String] {
    text.components(separatedBy: "\n").compactMap { line in
        line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
    }
}
