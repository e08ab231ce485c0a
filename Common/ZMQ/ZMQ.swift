// Thin Swift wrapper around libzmq (4.3.x). This is the only module that imports CZMQ;
// everything else in Bollard talks ZeroMQ through these types.
import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed libzmq call, carrying errno so callers can branch on EAGAIN, ETERM, EHOSTUNREACH…
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    /// errno as reported by zmq_errno() right after the failing call.
    public let code: Int32
    /// What failed, e.g. "zmq_bind(tcp://127.0.0.1:5555)"; never contains key material.
    public let operation: String

    /// Public so that callers (and tests) can construct errors in the same shape.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Captures zmq_errno() now; call immediately after the failing libzmq call.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// Operation plus libzmq's own text, so logs are readable without an errno table.
    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))"
    }

    /// The call would have blocked (dontWait, or a send/receive timeout expired).
    public var isAgain: Bool { code == EAGAIN }

    /// The context was shut down or terminated: the owner loop should close its sockets and exit.
    public var isTerminated: Bool { code == ETERM }

    /// A ROUTER with ZMQ_ROUTER_MANDATORY has no connection to that routing id (the peer went away).
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
}

/// Library-wide queries, so that deployment checks can fail early (e.g. no CURVE support).
public enum ZMQ {
    /// The libzmq version actually loaded at run time (not the header's).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// zmq_has: whether libzmq was built with a capability such as "curve", "ipc", "draft".
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}

/// A libzmq context. libzmq contexts are thread-safe, hence @unchecked Sendable:
/// the only state is the opaque handle, which libzmq itself synchronises.
public final class ZMQContext: @unchecked Sendable {
    /// Raw context pointer, valid until deinit (sockets retain their context).
    let handle: UnsafeMutableRawPointer

    /// Creates a context with libzmq's defaults (one I/O thread).
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// zmq_ctx_shutdown: makes blocking calls on all sockets of this context return ETERM,
    /// which is how another thread wakes an owner loop for a clean stop.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// zmq_ctx_term; cannot hang on pending messages because every ZMQSocket uses linger 0,
    /// and runs only after all sockets are gone because each socket retains its context.
    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
