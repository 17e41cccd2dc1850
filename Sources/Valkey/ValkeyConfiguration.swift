import Foundation

/// Where a Valkey server is and how to talk to it.
public struct ValkeyConfiguration: Sendable, Hashable {
    /// The server's address.
    public enum Endpoint: Sendable, Hashable {
        /// TCP host and port.
        case tcp(host: String, port: Int)
        /// A Unix domain socket path.
        case unix(path: String)
        /// Whichever server the sentinels at `sentinels` name as the primary of `primary`, asked
        /// again on every connection: a failover is followed without operator action.
        case sentinel(sentinels: [Address], primary: String)
        /// A Valkey Cluster, found through any of `seeds`: every connection goes to the primary
        /// that serves the slot of `routingKey`, asked again on every connection.
        case cluster(seeds: [Address])
    }

    /// How a TLS connection checks the server: its certificate must chain to a trusted CA and name
    /// the host connected to (or `serverName`).
    public struct TLS: Sendable, Hashable {
        /// PEM file of the CAs to trust; nil: the system's trust store.
        public var caFile: String?
        /// The name the certificate must carry, when not the host connected to.
        public var serverName: String?

        public init(caFile: String? = nil, serverName: String? = nil) {
            self.caFile = caFile
            self.serverName = serverName
        }
    }

    /// A TCP host and port.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, or `[v6]:port`; the port defaults to `defaultPort`.
        public init(parsing text: Substring, defaultPort: Int) throws(ValkeyError) {
            var host = text
            var port = defaultPort
            if let colon = text.lastIndex(of: ":"), !text[colon...].contains("]") {
                guard let number = Int(text[text.index(after: colon)...]), (1...65535).contains(number) else {
                    throw .invalidURL("'\(text)' needs a port from 1 to 65535")
                }
                host = text[..<colon]
                port = number
            }
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !bare.isEmpty else { throw .invalidURL("'\(text)' has no host") }
            self.init(host: bare, port: port)
        }

        /// The address in a sentinel's `SENTINEL get-master-addr-by-name` reply (`[host, port]`);
        /// nil when the sentinel does not know the primary.
        public init?(sentinelReply reply: ValkeyReply) {
            guard let parts = reply.array, parts.count == 2, let host = parts[0].string, let port = parts[1].string.flatMap({ Int($0) }) else {
                return nil
            }
            self.init(host: host, port: port)
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Address of the server. Default: `127.0.0.1:6379`.
    public var endpoint: Endpoint = .tcp(host: "127.0.0.1", port: 6379)
    /// In a cluster, the key whose slot this client serves: every key it sends must hash to the
    /// same slot (share its hash tag), as every key of one queue does. Ignored elsewhere.
    public var routingKey = ""
    /// TLS to the server (`rediss://`, `valkeys://`); nil: plain TCP.
    public var tls: TLS?
    /// ACL user name for `AUTH`; nil means the default user.
    public var username: String?
    /// Password for `AUTH`; nil means no authentication. Never logged.
    public var password: String?
    /// Logical database selected after connecting. Default 0.
    public var database: Int = 0
    /// How long one connection attempt may take. Default 1 s.
    public var connectTimeout: Duration = .seconds(1)
    /// Socket read/write timeout for ordinary commands. Default 10 s. Blocking commands use their
    /// own connection with a timeout longer than their own.
    public var commandTimeout: Duration = .seconds(10)
    /// Reconnection after the server goes away.
    public var reconnect = Reconnect()
    /// Connections in the pool for ordinary (non-blocking) commands. Default 2: every connection
    /// pipelines whatever its callers send while a round trip is in flight.
    public var poolSize: Int = 2
    /// When set, a client that met an unreachable server fails its commands at once instead of
    /// waiting on it again, while one probe asks it every `failFast` until it answers. For callers
    /// that answer people (the API); nil (the default) waits within `reconnect.maximumWait` each time.
    public var failFast: Duration?

    /// Reconnect policy: exponential backoff between attempts, bounded in total.
    public struct Reconnect: Sendable, Hashable {
        /// The first pause between attempts. Default 25 ms.
        public var initialBackoff: Duration = .milliseconds(25)
        /// The longest pause between attempts. Default 1 s.
        public var maximumBackoff: Duration = .seconds(1)
        /// How long commands wait for the server to come back before they fail. Default 10 s.
        public var maximumWait: Duration = .seconds(10)

        public init() {}
    }

    public init() {}

    /// Parses `valkey://[[user]:password@]host[:port][/db]`, `redis://` (same form),
    /// `unix:///path/to.sock[?db=N]` and `valkey-sentinel://[[user]:password@]host:port,host:port/primary[/db]`
    /// (the sentinels' addresses, port 26379 by default; the credentials are the primary's) and
    /// `valkey-cluster://[[user]:password@]host:port,host:port` (any nodes of a cluster, port 6379 by default).
    /// `rediss://` and `valkeys://` are the TCP form over TLS, verified against the system's CAs or
    /// `?tls_ca_file=/path/ca.pem`, and `?tls_server_name=` when the certificate names another host.
    public init(url: String) throws(ValkeyError) {
        if url.lowercased().hasPrefix("valkey-sentinel://") || url.lowercased().hasPrefix("valkey-cluster://") {
            self = try Self.parse(multiHostURL: url)
            return
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw .invalidURL("cannot parse Valkey URL (expected valkey://host:port/db)")
        }
        switch scheme {
        case "valkey", "redis", "valkeys", "rediss":
            let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw .invalidURL("port \(port) is out of range") }
            endpoint = .tcp(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else {
                    throw .invalidURL("database must be a non-negative number, got '\(path)'")
                }
                database = db
            }
        case "unix":
            guard !components.path.isEmpty else { throw .invalidURL("unix URL needs a socket path") }
            endpoint = .unix(path: components.path)
            if let db = components.queryItems?.first(where: { $0.name == "db" })?.value {
                guard let number = Int(db), number >= 0 else { throw .invalidURL("db must be a non-negative number") }
                database = number
            }
        default:
            throw .invalidURL("unsupported scheme '\(scheme)' (use valkey:// or redis://)")
        }
        if scheme == "valkeys" || scheme == "rediss" {
            let query = components.queryItems ?? []
            tls = TLS(
                caFile: query.first { $0.name == "tls_ca_file" }?.value.flatMap { $0.isEmpty ? nil : $0 },
                serverName: query.first { $0.name == "tls_server_name" }?.value.flatMap { $0.isEmpty ? nil : $0 }
            )
        }
        if let user = components.user, !user.isEmpty { username = user.removingPercentEncoding ?? user }
        if let password = components.password { self.password = password.removingPercentEncoding ?? password }
    }

    /// `valkey-sentinel://[credentials@]sentinel,sentinel/primary[/db]` and
    /// `valkey-cluster://[credentials@]node,node`: parsed by hand, since a URL has one host.
    private static func parse(multiHostURL url: String) throws(ValkeyError) -> ValkeyConfiguration {
        var configuration = ValkeyConfiguration()
        let isCluster = url.lowercased().hasPrefix("valkey-cluster://")
        var rest = url.dropFirst(isCluster ? "valkey-cluster://".count : "valkey-sentinel://".count)
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = String(credentials[..<colon])
                let password = String(credentials[credentials.index(after: colon)...])
                if !user.isEmpty { configuration.username = user.removingPercentEncoding ?? user }
                configuration.password = password.removingPercentEncoding ?? password
            } else if !credentials.isEmpty {
                configuration.password = String(credentials).removingPercentEncoding ?? String(credentials)
            }
        }
        if isCluster {
            let parts = rest.split(separator: "/")
            guard parts.count <= 1 else { throw .invalidURL("a cluster has database 0 only: no /db in a cluster URL") }
            var seeds: [Address] = []
            for item in parts.first?.split(separator: ",") ?? [] {
                seeds.append(try Address(parsing: item, defaultPort: 6379))
            }
            guard !seeds.isEmpty else { throw .invalidURL("a cluster URL names nodes: valkey-cluster://host:6379,host:6379") }
            configuration.endpoint = .cluster(seeds: seeds)
            return configuration
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidURL("a sentinel URL names sentinels and a primary: valkey-sentinel://host:26379,host:26379/mymaster[/db]")
        }
        var sentinels: [Address] = []
        for item in parts[0].split(separator: ",") {
            sentinels.append(try Address(parsing: item, defaultPort: 26379))
        }
        guard !sentinels.isEmpty else { throw .invalidURL("a sentinel URL needs at least one sentinel address") }
        configuration.endpoint = .sentinel(sentinels: sentinels, primary: String(parts[1]))
        if parts.count > 2, !parts[2].isEmpty {
            guard let db = Int(parts[2]), db >= 0 else { throw .invalidURL("database must be a non-negative number, got '\(parts[2])'") }
            configuration.database = db
        }
        return configuration
    }

    /// The address without credentials, safe to log.
    public var redactedDescription: String {
        switch endpoint {
        case .tcp(let host, let port): "\(tls == nil ? "valkey" : "valkeys")://\(host):\(port)/\(database)"
        case .unix(let path): "unix://\(path)?db=\(database)"
        case .sentinel(let sentinels, let primary):
            "valkey-sentinel://\(sentinels.map(\.description).joined(separator: ","))/\(primary)/\(database)"
        case .cluster(let seeds): "valkey-cluster://\(seeds.map(\.description).joined(separator: ","))"
        }
    }
}
