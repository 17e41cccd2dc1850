import Foundation
import RAGQueue

/// Which callback URLs a job may name: http(s) only, no credentials, and a host on the allowlist.
/// Checked when the job is submitted, so a refused URL is a 422 and never reaches the dispatcher.
public struct CallbackURLPolicy: Sendable, Hashable {
    /// Allowed hosts: exact names, `.example.com` for any subdomain of example.com, or `*` for any.
    public var allowedHosts: [String]

    /// A policy allowing `allowedHosts`.
    public init(allowedHosts: [String]) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
    }

    /// The URL, checked; throws a message a user can act on.
    public func check(_ text: String) throws(APIError) -> String {
        guard text.utf8.count <= 2048, let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased(), !host.isEmpty
        else { throw .validation("callback_url must be an absolute http(s) URL") }
        guard scheme == "http" || scheme == "https" else { throw .validation("callback_url must use http or https") }
        guard components.user == nil, components.password == nil else {
            throw .validation("callback_url must not carry credentials")
        }
        guard isAllowed(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) else {
            throw .validation("callback_url host '\(host)' is not on the allowlist")
        }
        return text
    }

    /// Whether `host` matches an allowlist entry.
    public func isAllowed(host: String) -> Bool {
        let host = host.lowercased()
        return allowedHosts.contains { entry in
            if entry == "*" { return true }
            if entry.hasPrefix(".") { return host.hasSuffix(entry) && host.count > entry.count }
            return host == entry
        }
    }
}
