import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Shared by the test targets (SupportTests, IntegrationTests).
///
/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`: collects what
/// a `SystemdNotifier` sends, with the monotonic time each datagram arrived.
public final class NotifyListener: @unchecked Sendable {  // state behind `lock`
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: ContinuousClock.Instant, text: String)] = []
    private var thread: Thread?
    private var closed = false

    public init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !isClosed {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { continue }
                let text = String(decoding: buffer[..<count], as: UTF8.self)
                lock.withLock { received.append((ContinuousClock.now, text)) }
            }
        }
        self.thread = thread
        thread.start()
    }

    private var isClosed: Bool { lock.withLock { closed } }

    public func close() {
        lock.withLock { closed = true }
        Thread.sleep(forTimeInterval: 0.2)
        Glibc.close(fd)
        unlink(path)
    }

    public var messages: [(at: ContinuousClock.Instant, text: String)] { lock.withLock { received } }

    public func pings(after instant: ContinuousClock.Instant) -> Int {
        messages.filter { $0.at > instant && $0.text == "WATCHDOG=1" }.count
    }

    /// The first datagram containing `fragment`, waiting up to `timeout`.
    public func wait(for fragment: String, timeout: Duration) async throws -> (at: ContinuousClock.Instant, text: String)? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let found = messages.first(where: { $0.text.contains(fragment) }) { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
