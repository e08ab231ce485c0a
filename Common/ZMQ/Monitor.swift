import CZMQ

#if canImport(Glibc)
import Glibc
#endif

/// The connection events libzmq reports through a socket monitor (zmq_socket_monitor),
/// as a set (for choosing what to watch) and as the kind of one event.
public struct ZMQSocketEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The TCP connection is up (the handshake follows).
    public static let connected = ZMQSocketEvents(rawValue: ZMQ_EVENT_CONNECTED)
    /// A connect is in progress (not refused yet).
    public static let connectDelayed = ZMQSocketEvents(rawValue: ZMQ_EVENT_CONNECT_DELAYED)
    /// A connect failed and will be tried again (value: the interval in ms).
    public static let connectRetried = ZMQSocketEvents(rawValue: ZMQ_EVENT_CONNECT_RETRIED)
    public static let closed = ZMQSocketEvents(rawValue: ZMQ_EVENT_CLOSED)
    public static let disconnected = ZMQSocketEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    public static let monitorStopped = ZMQSocketEvents(rawValue: ZMQ_EVENT_MONITOR_STOPPED)
    /// The handshake failed with no reason given (the peer closed the connection during it).
    public static let handshakeFailedNoDetail = ZMQSocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    public static let handshakeSucceeded = ZMQSocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    /// The handshake broke a ZMTP or CURVE rule (value: a ZMQ_PROTOCOL_ERROR_* code).
    public static let handshakeFailedProtocol = ZMQSocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    /// The server's ZAP handler refused us (value: the ZAP status code, 300, 400 or 500).
    public static let handshakeFailedAuth = ZMQSocketEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    public static let all = ZMQSocketEvents(rawValue: ZMQ_EVENT_ALL)
}

/// One event a monitored socket reported.
public struct ZMQMonitorEvent: Sendable, Hashable {
    /// Exactly one event kind.
    public var kind: ZMQSocketEvents
    /// The event's number: an errno, an interval, a protocol error or a ZAP status code, by kind.
    public var value: UInt32
    /// The endpoint concerned, e.g. `tcp://127.0.0.1:7700`.
    public var endpoint: String

    public init(kind: ZMQSocketEvents, value: UInt32, endpoint: String) {
        self.kind = kind
        self.value = value
        self.endpoint = endpoint
    }
}

extension ZMQSocket {
    /// Starts reporting this socket's `events` and returns the PAIR socket they arrive on
    /// (read it with `receiveMonitorEvent`). Call before `connect` to see every event.
    /// - Parameter address: a fresh `inproc://` address, unique within the context.
    /// - Throws: `ZMQError` naming zmq_socket_monitor or the PAIR's connect.
    public func monitor(address: String, events: ZMQSocketEvents = .all) throws -> ZMQSocket {
        guard let h = handle else { throw ZMQError(code: ENOTSOCK, operation: "zmq_socket_monitor(\(address))") }
        guard zmq_socket_monitor(h, address, events.rawValue) == 0 else { throw ZMQError.last("zmq_socket_monitor(\(address))") }
        let pair = try ZMQSocket(context: context, type: .pair)
        try pair.connect(address)
        return pair
    }

    /// The next event on a monitor PAIR socket, nil when none waits (dontWait). A message that is
    /// not a monitor event (the wrong shape) is skipped.
    public func receiveMonitorEvent(dontWait: Bool = true) throws -> ZMQMonitorEvent? {
        while let message = try receive(dontWait: dontWait) {
            // Frame 1: uint16 event and uint32 value in native byte order (little-endian on every machine we run on); frame 2: the endpoint.
            guard message.frames.count == 2, message.frames[0].count == 6 else { continue }
            let bytes = message.frames[0]
            let kind = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
            let value = UInt32(bytes[2]) | UInt32(bytes[3]) << 8 | UInt32(bytes[4]) << 16 | UInt32(bytes[5]) << 24
            return ZMQMonitorEvent(
                kind: ZMQSocketEvents(rawValue: Int32(kind)), value: value, endpoint: String(decoding: message.frames[1], as: UTF8.self))
        }
        return nil
    }
}
