import Foundation

/// 127.0.0.1:`port` as the socket calls take it, for code that binds or connects raw sockets.
public enum LoopbackAddress {
    /// Calls `body` with the address of 127.0.0.1:`port` and its length (`bind`, `connect`).
    public static func with<T>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
