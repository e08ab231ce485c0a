import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ZeroMQ socket patterns Bollard uses (all of libzmq's non-draft ones but XPUB/XSUB/STREAM).
public enum SocketType: Sendable {
    case pair, pub, sub, req, rep, dealer, router, pull, push

    /// The libzmq constant for zmq_socket.
    var rawValue: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        }
    }
}

/// One whole multipart message plus the connection metadata libzmq attached to it.
public struct ZMQMessage: Sendable {
    /// The frames in order (for a ROUTER, the first is the peer's routing id).
    public var frames: [[UInt8]]
    /// The ZAP-authenticated "User-Id" metadata property of the message (zmq_msg_gets(msg, "User-Id")), nil when absent.
    public var userID: String?
    /// "Peer-Address" metadata property (the peer's IP for tcp), nil when absent.
    public var peerAddress: String?

    /// Public so that code under test can fabricate received messages.
    public init(frames: [[UInt8]], userID: String? = nil, peerAddress: String? = nil) {
        self.frames = frames
        self.userID = userID
        self.peerAddress = peerAddress
    }
}

/// A libzmq socket. Not thread-safe (libzmq sockets are not): use it from one owner thread only,
/// which is why it is deliberately not Sendable. Linger defaults to 0 here (set in init) so that
/// closing never hangs on undeliverable messages.
public final class ZMQSocket {
    /// Retained so the context cannot be terminated (zmq_ctx_term would block) while we are open.
    public let context: ZMQContext
    /// Raw handle for polling (internal use by ZMQPoller); nil once closed.
    private(set) var handle: UnsafeMutableRawPointer?

    /// Creates the socket and sets ZMQ_LINGER to 0.
    public init(context: ZMQContext, type: SocketType) throws {
        self.context = context
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.handle = handle
        do {
            try setOption(ZMQ_LINGER, Int32(0))
        } catch {
            close()
            throw error
        }
    }

    /// Closes if the owner forgot to; linger 0 makes this non-blocking.
    deinit { close() }

    /// The open handle, or ENOTSOCK so that use-after-close is an error rather than a crash.
    private func openHandle(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation()) }
        return handle
    }

    /// zmq_bind; use "tcp://127.0.0.1:*" and lastEndpoint() to get an ephemeral port.
    public func bind(_ endpoint: String) throws {
        let h = try openHandle("zmq_bind(\(endpoint))")
        guard zmq_bind(h, endpoint) == 0 else { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// zmq_connect; asynchronous for tcp (libzmq reconnects by itself).
    public func connect(_ endpoint: String) throws {
        let h = try openHandle("zmq_connect(\(endpoint))")
        guard zmq_connect(h, endpoint) == 0 else { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// zmq_disconnect; the endpoint must match the string given to connect (or lastEndpoint()).
    public func disconnect(_ endpoint: String) throws {
        let h = try openHandle("zmq_disconnect(\(endpoint))")
        guard zmq_disconnect(h, endpoint) == 0 else { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// The endpoint actually bound (ZMQ_LAST_ENDPOINT), e.g. after binding "tcp://127.0.0.1:*".
    public func lastEndpoint() throws -> String {
        let h = try openHandle("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(h, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        }
        buffer[buffer.count - 1] = 0
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// zmq_close; idempotent, and deinit closes if still open.
    public func close() {
        guard let h = handle else { return }
        handle = nil
        _ = zmq_close(h)
    }

    /// Raw zmq_setsockopt; the operation name carries the option number only, never the value (keys).
    private func setRaw(_ option: Int32, _ value: UnsafeRawPointer?, _ size: Int) throws {
        let h = try openHandle("zmq_setsockopt(\(option))")
        guard zmq_setsockopt(h, option, value, size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    /// zmq_setsockopt for int options (ZMQ_LINGER, ZMQ_SNDHWM, ZMQ_ROUTER_MANDATORY, ZMQ_RCVTIMEO…).
    public func setOption(_ option: Int32, _ value: Int32) throws {
        var v = value
        try setRaw(option, &v, MemoryLayout<Int32>.size)
    }

    /// zmq_setsockopt for int64 options (ZMQ_MAXMSGSIZE…).
    public func setOption(_ option: Int32, _ value: Int64) throws {
        var v = value
        try setRaw(option, &v, MemoryLayout<Int64>.size)
    }

    /// zmq_setsockopt for binary options (ZMQ_ROUTING_ID, ZMQ_SUBSCRIBE, raw 32-byte CURVE keys…).
    public func setOption(_ option: Int32, bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try setRaw(option, $0.baseAddress, $0.count) }
    }

    /// zmq_setsockopt for string options, passed as UTF-8 without the NUL (40-char Z85 keys work).
    public func setOption(_ option: Int32, string: String) throws {
        try setOption(option, bytes: Array(string.utf8))
    }

    /// zmq_getsockopt for int options (ZMQ_EVENTS, ZMQ_TYPE, ZMQ_RCVMORE…).
    public func intOption(_ option: Int32) throws -> Int32 {
        let h = try openHandle("zmq_getsockopt(\(option))")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(h, option, &value, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(\(option))")
        }
        return value
    }

    /// CURVE server: ZMQ_CURVE_SERVER=1 and our secret key (Z85, 40 chars).
    /// Create the context's ZAPHandler first, or any client that knows our public key gets in.
    public func makeCurveServer(secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVER, Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
    }

    /// CURVE client: server's public key, our public and secret keys (all Z85).
    public func makeCurveClient(serverPublicKey: String, publicKey: String, secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, string: serverPublicKey)
        try setOption(ZMQ_CURVE_PUBLICKEY, string: publicKey)
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
    }

    /// Sends one multipart message. Returns false (and sends nothing) if the socket would block
    /// (EAGAIN: dontWait, or ZMQ_SNDTIMEO expired). Throws for other errors (e.g. EHOSTUNREACH with
    /// ZMQ_ROUTER_MANDATORY) and for an empty frame list (ZeroMQ has no zero-frame messages).
    /// libzmq queues multipart messages atomically, so only the first frame can hit EAGAIN.
    @discardableResult public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        let h = try openHandle("zmq_send")
        guard !frames.isEmpty else { throw ZMQError(code: EINVAL, operation: "zmq_send(no frames)") }
        let baseFlags = dontWait ? ZMQ_DONTWAIT : 0
        for (index, frame) in frames.enumerated() {
            let flags = baseFlags | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(h, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                let error = ZMQError.last("zmq_send(frame \(index) of \(frames.count))")
                if error.code == EINTR { continue }
                if error.isAgain && index == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Receives one whole multipart message; nil if nothing arrived (dontWait, or ZMQ_RCVTIMEO
    /// expired). Retries EINTR. Later frames are never waited for: libzmq delivers messages whole.
    public func receive(dontWait: Bool = false) throws -> ZMQMessage? {
        let h = try openHandle("zmq_msg_recv")
        var message = ZMQMessage(frames: [])
        var flags = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            while zmq_msg_recv(&msg, h, flags) < 0 {
                let error = ZMQError.last("zmq_msg_recv(frame \(message.frames.count))")
                if error.code == EINTR { continue }
                if error.isAgain && message.frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&msg)
            if size == 0 {
                message.frames.append([])
            } else {
                let data = zmq_msg_data(&msg)!
                message.frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            }
            // Metadata is per connection; any frame that carries it carries the same values.
            if message.userID == nil { message.userID = Self.property(&msg, "User-Id") }
            if message.peerAddress == nil { message.peerAddress = Self.property(&msg, "Peer-Address") }
            if zmq_msg_more(&msg) == 0 { return message }
            flags = 0
        }
    }

    /// zmq_msg_gets, nil when the frame has no such metadata.
    private static func property(_ msg: inout zmq_msg_t, _ name: String) -> String? {
        guard let value = zmq_msg_gets(&msg, name) else { return nil }
        return String(cString: value)
    }
}
