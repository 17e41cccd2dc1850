import Foundation
import RAGQueue

/// Which hosts a callback URL may name, on top of the query contract's own check (an absolute
/// http(s) URL without credentials). Checked when the job is submitted, so a refused URL is a 422
/// and never reaches the dispatcher.
public struct CallbackURLPolicy: Sendable, Hashable {
    /// Allowed hosts: exact names, `.example.com` for any subdomain of example.com, or `*` for any.
    public var allowedHosts: [String]

    /// A policy allowing `allowedHosts`.
    public init(allowedHosts: [String]) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
    }

    /// Throws, with a message a user can act on, unless the URL's host is allowed.
    public func check(_ text: String) throws(APIError) {
        guard let host = URLComponents(string: text)?.host?.lowercased(), !host.isEmpty else {
            throw .validation("callback_url must be an absolute http(s) URL")
        }
        guard isAllowed(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) else {
            throw .validation("callback_url host '\(host)' is not on the allowlist")
        }
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
