import Foundation

/// A certificate authority and a server certificate for 127.0.0.1 and localhost, made with the
/// `openssl` command in a temporary folder of their own: for TLS tests that must not trust
/// anything real. `cleanUp()` removes them.
public struct TestCertificates: Sendable {
    /// The folder holding every file.
    public let directory: URL
    /// PEM of the CA that signed the server's certificate: what a client trusts.
    public var caFile: String { directory.appendingPathComponent("ca.crt").path }
    /// The server's certificate (PEM), for 127.0.0.1 and localhost.
    public var certificateFile: String { directory.appendingPathComponent("server.crt").path }
    /// The server's private key (PEM).
    public var keyFile: String { directory.appendingPathComponent("server.key").path }

    /// Makes a fresh CA and a server certificate it signed, valid for a day.
    public static func make() async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragqueue-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        let names = directory.appendingPathComponent("names.ext")
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\n".utf8).write(to: names)
        let folder = directory.path
        for arguments in [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "\(folder)/ca.key", "-out", "\(folder)/ca.crt", "-days", "1", "-subj", "/CN=RAGQueue test CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "\(folder)/server.key", "-out", "\(folder)/server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "\(folder)/server.csr", "-CA", "\(folder)/ca.crt", "-CAkey", "\(folder)/ca.key", "-CAcreateserial",
             "-out", "\(folder)/server.crt", "-days", "1", "-extfile", names.path],
        ] {
            let openssl = ChildProcess(executable: "/usr/bin/openssl", arguments: arguments)
            try openssl.start(outputPath: "\(folder)/openssl.log")
            guard await openssl.waitForExit() == 0 else {
                let log = (try? String(contentsOfFile: "\(folder)/openssl.log", encoding: .utf8)) ?? ""
                certificates.cleanUp()
                throw ChildProcess.LaunchError(description: "openssl \(arguments[0]) failed: \(log)")
            }
        }
        return certificates
    }

    /// `rediss://` to the TLS port `port` on loopback, trusting this CA.
    public func url(tlsPort port: Int) -> String {
        "rediss://127.0.0.1:\(port)?tls_ca_file=\(caFile)"
    }

    /// Removes the folder.
    public func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }
}
