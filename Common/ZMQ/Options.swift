import CZMQ

/// Socket option numbers for setOption/intOption, so that client modules never import CZMQ
/// (the package rule: C modules are imported only by their wrapper target).
public enum ZMQOption {
    /// Milliseconds pending messages are kept after close; ZMQSocket sets 0.
    public static let linger: Int32 = ZMQ_LINGER
    /// Outgoing queue limit in messages; send(dontWait:) returns false beyond it.
    public static let sendHighWaterMark: Int32 = ZMQ_SNDHWM
    /// Incoming queue limit in messages.
    public static let receiveHighWaterMark: Int32 = ZMQ_RCVHWM
    /// Milliseconds a blocking send waits before returning false; -1 = forever.
    public static let sendTimeout: Int32 = ZMQ_SNDTIMEO
    /// Milliseconds a blocking receive waits before returning nil; -1 = forever.
    public static let receiveTimeout: Int32 = ZMQ_RCVTIMEO
    /// Binary routing id a DEALER/REQ presents to a ROUTER (set before connect).
    public static let routingID: Int32 = ZMQ_ROUTING_ID
    /// 1: ROUTER send to an unknown peer throws EHOSTUNREACH instead of silently dropping.
    public static let routerMandatory: Int32 = ZMQ_ROUTER_MANDATORY
    public static let routerHandover: Int32 = ZMQ_ROUTER_HANDOVER
    /// 1: queue only to completed connections, so messages are not stuck on dead peers.
    public static let immediate: Int32 = ZMQ_IMMEDIATE
    /// Milliseconds before the first reconnect attempt.
    public static let reconnectInterval: Int32 = ZMQ_RECONNECT_IVL
    /// Upper bound in milliseconds for exponential reconnect back-off (0 = no back-off).
    public static let reconnectIntervalMax: Int32 = ZMQ_RECONNECT_IVL_MAX
    /// Milliseconds between ZMTP heartbeats (PING), to detect dead peers.
    public static let heartbeatInterval: Int32 = ZMQ_HEARTBEAT_IVL
    /// Milliseconds without traffic after a PING before the connection is dropped.
    public static let heartbeatTimeout: Int32 = ZMQ_HEARTBEAT_TIMEOUT
    /// Milliseconds the remote side should wait without traffic before dropping us.
    public static let heartbeatTTL: Int32 = ZMQ_HEARTBEAT_TTL
    /// Milliseconds allowed for the ZMTP/CURVE handshake.
    public static let handshakeInterval: Int32 = ZMQ_HANDSHAKE_IVL
    /// Int64 bytes: larger inbound messages drop the connection (protects against abuse).
    public static let maxMessageSize: Int32 = ZMQ_MAXMSGSIZE
    /// SUB topic prefix filter (bytes; empty = everything).
    public static let subscribe: Int32 = ZMQ_SUBSCRIBE
    /// Remove a SUB topic prefix filter.
    public static let unsubscribe: Int32 = ZMQ_UNSUBSCRIBE
    /// ZAP domain passed in ZAP requests (string).
    public static let zapDomain: Int32 = ZMQ_ZAP_DOMAIN
    /// Read-only: the socket type number.
    public static let type: Int32 = ZMQ_TYPE
    /// Read-only: 1 while more frames of the current message are pending.
    public static let receiveMore: Int32 = ZMQ_RCVMORE
    /// Read-only: ready events bitmask (ZMQ_POLLIN/ZMQ_POLLOUT).
    public static let events: Int32 = ZMQ_EVENTS
    /// Read-only: 1 for a CURVE server socket.
    public static let curveServer: Int32 = ZMQ_CURVE_SERVER
}
