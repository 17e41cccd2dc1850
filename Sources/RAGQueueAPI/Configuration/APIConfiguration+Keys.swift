import Foundation

extension APIConfiguration {
    /// Reads `apiKeysFile`, when set, and adds its keys to `apiKeys`.
    public mutating func loadKeyFile() throws(APIConfigurationError) {
        guard let path = apiKeysFile else { return }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIConfigurationError("cannot read the API key file \(path)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for (key, tenant) in try Self.parseKeys(lines, source: path) { apiKeys[key] = tenant }
    }

    /// Parses `key:tenant` or `key tenant` entries; the error never repeats a key.
    static func parseKeys(_ entries: [String], source: String) throws(APIConfigurationError) -> [String: String] {
        var keys: [String: String] = [:]
        for (index, entry) in entries.enumerated() {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let separator = trimmed.firstIndex(where: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard let separator else { throw APIConfigurationError("entry \(index + 1) of \(source) lacks a tenant (key:tenant)") }
            let key = String(trimmed[..<separator])
            let tenant = trimmed[trimmed.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !tenant.isEmpty else {
                throw APIConfigurationError("entry \(index + 1) of \(source) needs both a key and a tenant")
            }
            keys[key] = tenant
        }
        return keys
    }
}
