#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Logging

/// Errors from the local line socket, naming the call and errno.
public struct LineSocketError: Error, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// A Unix stream socket that answers one JSON line with one JSON line.
///
/// The technician's socket: few clients, tiny messages. One owned thread
/// serves every connection through `poll()`, so a client that keeps its
/// connection open (or stalls mid-line) never blocks another. At most
/// `maxConnections` are open at once; one more is answered `busyReply` and
/// closed. A connection idle for `idleTimeout` is closed. The handler runs
/// on the server's thread, one request at a time.
public final class UnixLineServer: Sendable {
    public typealias Handler = @Sendable (String) -> String
    /// A handler that also learns who is asking (the kernel's word, `SO_PEERCRED`).
    public typealias PeerHandler = @Sendable (String, LinePeer) -> String

    /// Limits that keep one client from holding the socket.
    public struct Limits: Sendable {
        public var maxConnections = 16
        public var idleTimeout: Duration = .seconds(10)
        public init() {}
    }

    private let path: String
    private let listener: Int32
    private let limits: Limits
    private let busyReply: String
    private let logger: Logger
    /// The server's thread; ``run()`` waits on it.
    public let thread: OwnedThread
    /// Beats every poll (at most 200 ms apart while serving).
    public let progress: ProgressReporter

    /// Binds `path` (replacing a stale socket file) with mode 0660, owned by `group` when given.
    /// - Parameter busyReply: the line (without newline) a connection past the limit receives.
    /// - Parameter group: the group whose members may connect (the technicians'); nil keeps the process's group.
    /// - Throws: `LineSocketError` naming the call that failed (socket, bind, chown, listen).
    public init(
        path: String, limits: Limits = Limits(), busyReply: String, name: String = "diagnostics", group: gid_t? = nil, logger: Logger
    ) throws {
        self.path = path
        self.limits = limits
        self.busyReply = busyReply
        self.logger = logger
        thread = OwnedThread(name: name + "-socket", joinLimit: .seconds(2), logger: logger)
        progress = ProgressReporter(name: name, deadline: .seconds(10))
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw LineSocketError(operation: "socket", errno: errno) }
        do {
            try withUnixAddress(path) { address, length in
                guard bind(fd, address, length) == 0 else { throw LineSocketError(operation: "bind(\(path))", errno: errno) }
            }
            // Connecting needs write permission on the socket file: owner and group only.
            if let group, chown(path, uid_t.max, group) != 0 { throw LineSocketError(operation: "chown(\(path), group \(group))", errno: errno) }
            guard chmod(path, 0o660) == 0 else { throw LineSocketError(operation: "chmod(\(path))", errno: errno) }
            guard listen(fd, 32) == 0 else { throw LineSocketError(operation: "listen(\(path))", errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        listener = fd
    }

    /// Serves on the server's thread until `stop()` or the end of `run()`.
    public func start(handler: @escaping Handler) {
        thread.start { [self] in serve(handler: { line, _ in handler(line) }) }
    }

    /// Serves like `start(handler:)`, telling the handler who sent each line.
    public func start(answering handler: @escaping PeerHandler) {
        thread.start { [self] in serve(handler: handler) }
    }

    /// Stops serving (bounded wait), closes the socket and removes its file.
    public func stop() {
        thread.stop()
        closeListener()
    }

    /// Waits while the thread serves; returns after cancellation or graceful
    /// shutdown has stopped it, then closes the socket.
    public func run() async throws {
        defer { closeListener() }
        try await thread.run()
    }

    private func closeListener() {
        unlink(path)
        // A thread left behind may still poll the descriptor: leave it to the process exit.
        if thread.hasEnded { close(listener) }
    }

    private struct Connection {
        let fd: Int32
        let peer: LinePeer
        var input: [UInt8] = []
        var output: [UInt8] = []
        var lastActivity: ContinuousClock.Instant
    }

    private func serve(handler: PeerHandler) {
        let clock = ContinuousClock()
        var connections: [Connection] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { for connection in connections { close(connection.fd) } }
        while !thread.isStopping {
            progress.beat()
            // Read a connection's next requests only once its answers are out: a
            // client that never reads cannot make us buffer without bound.
            var items = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            items += connections.map { pollfd(fd: $0.fd, events: Int16($0.output.isEmpty ? POLLIN : POLLOUT), revents: 0) }
            let ready = poll(&items, nfds_t(items.count), 200)
            let now = clock.now
            if ready > 0 {
                var closing = Set<Int32>()
                for index in connections.indices {
                    let events = Int32(items[index + 1].revents)
                    guard events != 0 else { continue }
                    if !serviceConnection(&connections[index], events: events, chunk: &chunk, now: now, handler: handler) {
                        closing.insert(connections[index].fd)
                    }
                }
                if !closing.isEmpty {
                    for fd in closing { close(fd) }
                    connections.removeAll { closing.contains($0.fd) }
                }
                if Int32(items[0].revents) & Int32(POLLIN) != 0 { acceptAll(into: &connections, now: now) }
            }
            connections.removeAll { connection in
                guard connection.lastActivity.duration(to: now) > limits.idleTimeout else { return false }
                close(connection.fd)
                return true
            }
        }
    }

    /// Reads, answers and writes what the connection is ready for; false closes it.
    private func serviceConnection(
        _ connection: inout Connection, events: Int32, chunk: inout [UInt8], now: ContinuousClock.Instant, handler: PeerHandler
    ) -> Bool {
        if !connection.output.isEmpty {  // polled for POLLOUT only
            let written = connection.output.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if written < 0 {
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
            }
            connection.output.removeFirst(written)
            connection.lastActivity = now
            return true
        }
        guard events & Int32(POLLIN | POLLHUP | POLLERR) != 0 else { return true }
        let count = chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
        guard count > 0 else { return false }  // the client closed
        connection.lastActivity = now
        connection.input.append(contentsOf: chunk[..<count])
        while let newline = connection.input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: connection.input[..<newline], as: UTF8.self)
            connection.input.removeSubrange(...newline)
            if line.isEmpty { continue }
            connection.output += Array((handler(line, connection.peer) + "\n").utf8)
        }
        // A line longer than any request: not a technician's client.
        return connection.input.count < LineReader.maxLine
    }

    private func acceptAll(into connections: inout [Connection], now: ContinuousClock.Instant) {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }  // EAGAIN: no more waiting
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard connections.count < limits.maxConnections else {
                // Best effort: a fresh socket's buffer takes one short line.
                let line = Array((busyReply + "\n").utf8)
                _ = line.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                close(client)
                logger.warning("diagnostics connection refused: too many open", metadata: ["connections.max": "\(limits.maxConnections)"])
                continue
            }
            connections.append(Connection(fd: client, peer: LinePeer(socket: client), lastActivity: now))
        }
    }
}

/// Who is at the other end of a connection, as the kernel says (`SO_PEERCRED`,
/// taken when the connection was accepted); -1 when it could not be read.
public struct LinePeer: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: Int64
    public var gid: Int64

    public init(pid: Int32, uid: Int64, gid: Int64) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Reads the credentials of the peer connected on `fd`.
    init(socket fd: Int32) {
        // struct ucred is { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit fields.
        var fields: (Int32, UInt32, UInt32) = (-1, UInt32.max, UInt32.max)
        var length = socklen_t(MemoryLayout.size(ofValue: fields))
        if getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &fields, &length) == 0, Int(length) == MemoryLayout.size(ofValue: fields) {
            self.init(pid: fields.0, uid: Int64(fields.1), gid: Int64(fields.2))
        } else {
            self.init(pid: -1, uid: -1, gid: -1)
        }
    }

    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }
}

/// Sends one line and waits for the one-line answer.
public enum UnixLineClient {
    public static func request(path: String, line: String, timeoutSeconds: Int = 10) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LineSocketError(operation: "socket", errno: errno) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try withUnixAddress(path) { address, length in
            guard connect(fd, address, length) == 0 else { throw LineSocketError(operation: "connect(\(path))", errno: errno) }
        }
        guard writeAll(fd, line + "\n") else { throw LineSocketError(operation: "write(\(path))", errno: errno) }
        var reader = LineReader(fd: fd)
        guard let answer = reader.nextLine() else { throw LineSocketError(operation: "read(\(path))", errno: errno == 0 ? ECONNRESET : errno) }
        return answer
    }
}

/// Buffered reading of '\n'-terminated lines, bounded so a peer cannot make us hold unlimited data.
struct LineReader {
    let fd: Int32
    var buffer: [UInt8] = []
    static let maxLine = 1 << 20

    mutating func nextLine() -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard buffer.count < Self.maxLine else { return nil }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}

private func writeAll(_ fd: Int32, _ text: String) -> Bool {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return false }
        bytes = bytes.dropFirst(written)
    }
    return true
}

private func withUnixAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) throws -> T {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
        throw LineSocketError(operation: "socket path too long (\(path))", errno: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    return try withUnsafePointer(to: &address) { pointer in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            try body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
}
