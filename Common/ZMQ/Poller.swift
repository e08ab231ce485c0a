import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which events to wait for / which are ready (ZMQ_POLLIN / ZMQ_POLLOUT).
public struct PollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// A whole message can be received without blocking.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// zmq_poll, so that one owner thread can service several sockets (e.g. Central's router plus ZAP).
public enum ZMQPoller {
    /// zmq_poll over the sockets; returns, per socket, the events that are ready.
    /// timeoutMilliseconds -1 = forever. On EINTR returns all-empty so the caller just loops.
    public static func poll(_ sockets: [ZMQSocket], events: PollEvents = .readable, timeoutMilliseconds: Int) throws -> [PollEvents] {
        try poll(sockets, events: events, fileDescriptors: [], timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Like poll(_:events:timeoutMilliseconds:) but also waits on plain file descriptors (e.g. a
    /// wake-up pipe); the result lists the sockets first, then the descriptors, in order.
    public static func poll(_ sockets: [ZMQSocket], events: PollEvents = .readable, fileDescriptors: [Int32], timeoutMilliseconds: Int) throws -> [PollEvents] {
        var items: [zmq_pollitem_t] = []
        items.reserveCapacity(sockets.count + fileDescriptors.count)
        for (index, socket) in sockets.enumerated() {
            guard let handle = socket.handle else {
                throw ZMQError(code: ENOTSOCK, operation: "zmq_poll(socket \(index) is closed)")
            }
            items.append(zmq_pollitem_t(socket: handle, fd: -1, events: events.rawValue, revents: 0))
        }
        for fd in fileDescriptors {
            items.append(zmq_pollitem_t(socket: nil, fd: fd, events: events.rawValue, revents: 0))
        }
        let rc = withExtendedLifetime(sockets) {
            items.withUnsafeMutableBufferPointer {
                zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds)
            }
        }
        if rc < 0 {
            let error = ZMQError.last("zmq_poll")
            if error.code == EINTR { return Array(repeating: [], count: items.count) }
            throw error
        }
        return items.map { PollEvents(rawValue: $0.revents).intersection([.readable, .writable]) }
    }
}
