import CHiredis
import CTLSPump
import Glibc

/// Owns one hiredis `redisContext`: the only type that touches the C pointer.
///
/// Not thread-safe, as hiredis contexts are not: its owner keeps it inside a `Mutex` and calls it from
/// one thread of its own, never from Swift's cooperative pool, because every call blocks.
final class HiredisContext {
    private let context: UnsafeMutablePointer<redisContext>
    /// Set after any I/O or protocol error: hiredis contexts cannot be used again after one.
    private(set) var isBroken = false

    private init(context: UnsafeMutablePointer<redisContext>) {
        self.context = context
    }

    deinit {
        redisFree(context)
    }

    /// Connects, authenticates, selects the database and checks that the server is ready (not
    /// loading its data). Blocks for up to the connect timeout.
    static func connect(_ configuration: ValkeyConfiguration, socketTimeout: Duration) throws(ValkeyError) -> HiredisContext {
        let connection: HiredisContext
        switch configuration.endpoint {
        case .tcp, .unix:
            connection = try open(configuration.endpoint, configuration, socketTimeout: socketTimeout)
        case .sentinel(let sentinels, let primary):
            let address = try primaryAddress(primary, sentinels: sentinels, configuration)
            connection = try open(.tcp(host: address.host, port: address.port), configuration, socketTimeout: socketTimeout)
        case .cluster(let seeds):
            let address = try slotOwner(ValkeySlot.of(configuration.routingKey), seeds: seeds, configuration)
            connection = try open(.tcp(host: address.host, port: address.port), configuration, socketTimeout: socketTimeout)
        }

        var setup: [[[UInt8]]] = []
        if let password = configuration.password {
            if let username = configuration.username {
                setup.append([Array("AUTH".utf8), Array(username.utf8), Array(password.utf8)])
            } else {
                setup.append([Array("AUTH".utf8), Array(password.utf8)])
            }
        }
        if configuration.database != 0 {
            setup.append([Array("SELECT".utf8), Array(String(configuration.database).utf8)])
        }
        // Through Sentinel, the server named may have been demoted since (a failover under way):
        // only a primary will do, or the caller retries and asks the sentinels again.
        if case .sentinel = configuration.endpoint { setup.append([Array("ROLE".utf8)]) }
        // Last: a server still loading its data answers `-LOADING` to it, and the connection is
        // not ready (the caller retries within its reconnect budget).
        setup.append([Array("PING".utf8)])
        for reply in connection.pipeline(setup) {
            switch reply {
            case .success(.error(let message)):
                // The AUTH error text names neither user nor password.
                throw .connectionFailed("\(configuration.redactedDescription): \(message)")
            case .failure(let error):
                throw error
            case .success(.array(let role)):
                if let name = role.first?.string, name != "master" {
                    throw .connectionFailed("\(configuration.redactedDescription): the server the sentinels named is a \(name) now")
                }
            case .success:
                continue
            }
        }
        return connection
    }

    /// A connected context, with keep-alive and `socketTimeout`, to `endpoint` (TCP or Unix).
    private static func open(
        _ endpoint: ValkeyConfiguration.Endpoint, _ configuration: ValkeyConfiguration, socketTimeout: Duration
    ) throws(ValkeyError) -> HiredisContext {
        let connectTimeout = timeval(configuration.connectTimeout)
        let raw: UnsafeMutablePointer<redisContext>?
        let name: String
        switch endpoint {
        case .tcp(let host, let port):
            name = ValkeyConfiguration.Address(host: host, port: port).description
            if let tls = configuration.tls {
                raw = redisConnectFd(try tlsSocket(host: host, port: port, tls, timeout: configuration.connectTimeout, name: name))
            } else {
                raw = redisConnectWithTimeout(host, Int32(port), connectTimeout)
            }
        case .unix(let path):
            raw = redisConnectUnixWithTimeout(path, connectTimeout)
            name = path
        case .sentinel, .cluster:
            throw .connectionFailed("a sentinel or cluster endpoint is resolved before it is opened")
        }
        guard let raw else { throw .connectionFailed("cannot allocate a hiredis context") }
        let connection = HiredisContext(context: raw)
        if raw.pointee.err != 0 {
            throw .connectionFailed("\(name): \(connection.errorString)")
        }
        // Over TLS the socket is one end of a pair (keep-alive is the pump's, on its TCP socket):
        // hiredis would fail to set TCP options on it, and mark the context broken.
        if configuration.tls == nil { _ = redisEnableKeepAlive(raw) }
        _ = redisSetTimeout(raw, timeval(socketTimeout))
        return connection
    }

    /// A plain socket whose bytes go to `host`:`port` over TLS, verified as `tls` says: the
    /// connection and handshake happen here, the encryption on a thread of the pump's own.
    private static func tlsSocket(
        host: String, port: Int, _ tls: ValkeyConfiguration.TLS, timeout: Duration, name: String
    ) throws(ValkeyError) -> Int32 {
        var message = [CChar](repeating: 0, count: 512)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let descriptor = message.withUnsafeMutableBufferPointer { buffer in
            ragq_tls_pump_open(host, Int32(port), tls.serverName, tls.caFile, milliseconds, buffer.baseAddress, buffer.count)
        }
        guard descriptor >= 0 else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .connectionFailed("\(name) (TLS): \(text)")
        }
        return descriptor
    }

    /// The primary serving `slot`, according to the first of `seeds` that answers `CLUSTER SLOTS`.
    private static func slotOwner(
        _ slot: Int, seeds: [ValkeyConfiguration.Address], _ configuration: ValkeyConfiguration
    ) throws(ValkeyError) -> ValkeyConfiguration.Address {
        var commands: [[String]] = []
        if let password = configuration.password {
            commands.append(["AUTH"] + (configuration.username.map { [$0] } ?? []) + [password])
        }
        commands.append(["CLUSTER", "SLOTS"])
        return try firstAnswer(from: seeds, commands, configuration, naming: "the owner of slot \(slot)") { seed, reply in
            ValkeySlot.owner(of: slot, in: reply).map { .init(host: $0.host ?? seed.host, port: $0.port) }
        }
    }

    /// The address of `primary` according to the first of `sentinels` that knows it.
    private static func primaryAddress(
        _ primary: String, sentinels: [ValkeyConfiguration.Address], _ configuration: ValkeyConfiguration
    ) throws(ValkeyError) -> ValkeyConfiguration.Address {
        try firstAnswer(from: sentinels, [["SENTINEL", "get-master-addr-by-name", primary]], configuration, naming: "a primary for '\(primary)'") { _, reply in
            ValkeyConfiguration.Address(sentinelReply: reply)
        }
    }

    /// The address that `read` finds in the last reply to `commands` of the first of `servers` that
    /// gives one; the error says what each server answered instead.
    private static func firstAnswer(
        from servers: [ValkeyConfiguration.Address], _ commands: [[String]], _ configuration: ValkeyConfiguration, naming what: String,
        read: (ValkeyConfiguration.Address, ValkeyReply) -> ValkeyConfiguration.Address?
    ) throws(ValkeyError) -> ValkeyConfiguration.Address {
        var failures: [String] = []
        for server in servers {
            let asked: HiredisContext
            do {
                asked = try open(.tcp(host: server.host, port: server.port), configuration, socketTimeout: configuration.connectTimeout)
            } catch {
                failures.append(error.message)
                continue
            }
            switch asked.pipeline(commands.map { $0.map { Array($0.utf8) } }).last {
            case .success(let reply)?:
                if let address = read(server, reply) { return address }
                failures.append("\(server): \(reply)")
            case .failure(let error)?:
                failures.append("\(server): \(error.message)")
            case nil:
                failures.append("\(server): no answer")
            }
        }
        throw .connectionFailed("no server named \(what) (\(failures.joined(separator: "; ")))")
    }

    /// Sends every command, then reads every reply: one round trip for the lot.
    ///
    /// Server errors come back as `.error` replies. After an I/O error the context is broken, and the
    /// commands without a reply fail with `connectionLost`: whether the server ran them is unknown.
    func pipeline(_ commands: [[[UInt8]]]) -> [Result<ValkeyReply, ValkeyError>] {
        guard !isBroken else {
            return commands.map { _ in .failure(.connectionLost("connection is broken")) }
        }
        for command in commands where !append(command) {
            isBroken = true
            let error = ValkeyError.connectionLost(errorString)
            return commands.map { _ in .failure(error) }
        }
        var results: [Result<ValkeyReply, ValkeyError>] = []
        results.reserveCapacity(commands.count)
        for _ in commands {
            if isBroken {
                results.append(.failure(.connectionLost(errorString)))
                continue
            }
            var replyPointer: UnsafeMutableRawPointer?
            guard redisGetReply(context, &replyPointer) == REDIS_OK, let replyPointer else {
                isBroken = true
                results.append(.failure(.connectionLost(errorString)))
                continue
            }
            let reply = replyPointer.assumingMemoryBound(to: redisReply.self)
            results.append(.success(Self.convert(reply)))
            freeReplyObject(replyPointer)
        }
        return results
    }

    /// Reads one more reply without sending anything (pub/sub messages). Blocks.
    func readReply() -> Result<ValkeyReply, ValkeyError> {
        guard !isBroken else { return .failure(.connectionLost("connection is broken")) }
        var replyPointer: UnsafeMutableRawPointer?
        guard redisGetReply(context, &replyPointer) == REDIS_OK, let replyPointer else {
            isBroken = true
            return .failure(.connectionLost(errorString))
        }
        let reply = Self.convert(replyPointer.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(replyPointer)
        return .success(reply)
    }

    /// The socket, so another thread can `shutdown(2)` it to wake a blocked read.
    var fileDescriptor: Int32 { context.pointee.fd }

    /// Whether the server has closed the connection, as far as the socket already knows: an
    /// end-of-file (or an error) waiting to be read while no reply is expected. Does not block.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let read = recv(fileDescriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    private func append(_ arguments: [[UInt8]]) -> Bool {
        // One contiguous buffer keeps every argument alive for the call; hiredis copies them.
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(0) { $0 + $1.count + 1 })
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.count)
            storage.append(contentsOf: argument)
            storage.append(0)
        }
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisAppendCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress) == REDIS_OK
                }
            }
        }
    }

    private var errorString: String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "connection closed" : text
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> ValkeyReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [ValkeyReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] {
                    elements.append(convert(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }
}

private func timeval(_ duration: Duration) -> Glibc.timeval {
    let (seconds, attoseconds) = duration.components
    return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
}
