import CZMQ

/// ZAP (RFC 27) request as received by a ZAP handler.
public struct ZAPRequest: Sendable {
    /// Protocol version, "1.0".
    public let version: String
    /// Opaque id that the reply must echo.
    public let requestID: [UInt8]
    /// ZMQ_ZAP_DOMAIN of the server socket ("" by default).
    public let domain: String
    /// The peer's IP address.
    public let address: String
    /// The peer's routing id as set on the server socket side (often empty).
    public let identity: [UInt8]
    /// "NULL", "PLAIN" or "CURVE".
    public let mechanism: String
    /// Mechanism-specific; for CURVE one frame, the client's 32-byte public key.
    public let credentials: [[UInt8]]

    /// Public so that decide functions can be unit-tested without sockets.
    public init(version: String, requestID: [UInt8], domain: String, address: String, identity: [UInt8], mechanism: String, credentials: [[UInt8]]) {
        self.version = version
        self.requestID = requestID
        self.domain = domain
        self.address = address
        self.identity = identity
        self.mechanism = mechanism
        self.credentials = credentials
    }

    /// For mechanism "CURVE": the client's 32-byte public key encoded Z85 (zmq_z85_encode), to compare
    /// with registered keys; nil otherwise.
    public var curvePublicKey: String? {
        guard mechanism == "CURVE", credentials.count == 1, credentials[0].count == 32 else { return nil }
        return CurveKeyPair.z85Encode(credentials[0])
    }
}

/// The handler's verdict on one ZAP request.
public struct ZAPReply: Sendable {
    /// "200" accept, "400" refuse, "300" temporary error, "500" internal.
    public var statusCode: String
    /// Human-readable reason; libzmq only reports it to monitors.
    public var statusText: String
    /// Becomes the "User-Id" property of every message from that peer (ZMQMessage.userID).
    public var userID: String

    /// Public so that callers can send "300"/"500" replies too.
    public init(statusCode: String, statusText: String, userID: String) {
        self.statusCode = statusCode
        self.statusText = statusText
        self.userID = userID
    }

    /// Let the peer in and tag its messages with userID.
    public static func accept(userID: String) -> ZAPReply {
        ZAPReply(statusCode: "200", statusText: "OK", userID: userID)
    }

    /// Refuse the handshake; the peer's messages never reach the server socket.
    public static func refuse(_ reason: String) -> ZAPReply {
        ZAPReply(statusCode: "400", statusText: reason, userID: "")
    }
}

/// A REP socket bound to inproc://zeromq.zap.01 on the given context, answering libzmq's
/// authentication requests. MUST be created before any CURVE server socket binds on that context
/// (otherwise Debian's libzmq accepts any client knowing the server key). Not thread-safe: service
/// it from the same owner thread that polls the server sockets.
public final class ZAPHandler {
    /// The RFC 27 endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    /// Exposed so the owner can poll it together with other sockets.
    public let socket: ZMQSocket

    /// Binds the ZAP endpoint; throws EADDRINUSE if the context already has a handler.
    public init(context: ZMQContext) throws {
        socket = try ZMQSocket(context: context, type: .rep)
        try socket.bind(Self.endpoint)
    }

    /// Receives one pending request (non-blocking unless dontWait false), asks `decide`, sends the reply.
    /// Returns false if nothing was pending. Malformed requests get a "500" reply and never crash, and
    /// a reply with a status code libzmq would reject is turned into "500" too.
    @discardableResult
    public func handleOne(dontWait: Bool = true, decide: (ZAPRequest) -> ZAPReply) throws -> Bool {
        guard let message = try socket.receive(dontWait: dontWait) else { return false }
        let frames = message.frames
        // The REP socket always owes a reply, even to garbage, or it stops receiving.
        let requestID = frames.count > 1 ? frames[1] : []
        var reply: ZAPReply
        if let request = Self.parse(frames) {
            reply = decide(request)
            if !["200", "300", "400", "500"].contains(reply.statusCode) {
                reply = ZAPReply(statusCode: "500", statusText: "invalid status from handler", userID: "")
            }
        } else {
            reply = ZAPReply(statusCode: "500", statusText: "malformed ZAP request", userID: "")
        }
        try socket.send([
            Array("1.0".utf8), requestID, Array(reply.statusCode.utf8),
            Array(reply.statusText.utf8), Array(reply.userID.utf8), [],
        ])
        return true
    }

    /// RFC 27 request frames to a ZAPRequest; nil unless version "1.0" with all six header frames.
    static func parse(_ frames: [[UInt8]]) -> ZAPRequest? {
        guard frames.count >= 6 else { return nil }
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        guard text(frames[0]) == "1.0" else { return nil }
        return ZAPRequest(
            version: text(frames[0]), requestID: frames[1], domain: text(frames[2]),
            address: text(frames[3]), identity: frames[4], mechanism: text(frames[5]),
            credentials: Array(frames[6...])
        )
    }

    /// Unbinds by closing the socket; afterwards CURVE handshakes on this context are no longer vetted.
    public func close() {
        socket.close()
    }
}
