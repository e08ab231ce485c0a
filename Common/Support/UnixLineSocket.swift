#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Synchronization

/// Errors from the local line socket, naming the call and errno.
public struct LineSocketError: Error, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// A Unix stream socket that answers one JSON line with one JSON line.
///
/// The technician's socket: few clients, tiny messages. It serves connections
/// one at a time on its own thread; a client that stalls is dropped after a
/// timeout so it cannot wedge the socket.
public final class UnixLineServer: Sendable {
    public typealias Handler = @Sendable (String) -> String

    private let path: String
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `path` (replacing a stale socket file) with mode 0660.
    public init(path: String) throws {
        self.path = path
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LineSocketError(operation: "socket", errno: errno) }
        do {
            try withUnixAddress(path) { address, length in
                guard bind(fd, address, length) == 0 else { throw LineSocketError(operation: "bind(\(path))", errno: errno) }
            }
            chmod(path, 0o660)
            guard listen(fd, 8) == 0 else { throw LineSocketError(operation: "listen(\(path))", errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        listener = fd
    }

    /// Serves until `stop()`; handler runs on the server's thread.
    public func start(handler: @escaping Handler) {
        let thread = Thread { [self] in
            serve(handler: handler)
            finished.signal()
        }
        thread.name = "diagnostics-socket"
        started.store(true, ordering: .releasing)
        thread.start()
    }

    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if started.load(ordering: .acquiring) { finished.wait() }
        close(listener)
        unlink(path)
    }

    private func serve(handler: Handler) {
        while !stopped.load(ordering: .acquiring) {
            var pollItem = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pollItem, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var reader = LineReader(fd: client)
            while let line = reader.nextLine() {
                if line.isEmpty { continue }
                guard writeAll(client, handler(line) + "\n") else { break }
            }
            close(client)
        }
    }
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
