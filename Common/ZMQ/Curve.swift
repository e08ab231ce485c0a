import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CURVE key pair in Z85 text form, as stored in configuration and the registry.
public struct CurveKeyPair: Sendable, Equatable {
    /// Z85, 40 chars; safe to share.
    public let publicKey: String
    /// Z85, 40 chars; keep out of logs.
    public let secretKey: String

    /// Z85 text length of a 32-byte CURVE key.
    static let z85Length = 40

    /// The Z85 alphabet (ZeroMQ RFC 32), used to reject bad keys before libzmq sees them.
    static let z85Alphabet: Set<UInt8> = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8
    )

    /// Internal so that only validated keys make a pair.
    init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh random pair (zmq_curve_keypair); throws ENOTSUP if libzmq lacks CURVE.
    public static func generate() throws -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: z85Length + 1)
        var sec = [CChar](repeating: 0, count: z85Length + 1)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: string(pub), secretKey: string(sec))
    }

    /// Derives the public key from a stored secret key (zmq_curve_public); throws EINVAL for a bad key.
    public static func fromSecret(_ secretKey: String) throws -> CurveKeyPair {
        guard isValidKey(secretKey) else { throw ZMQError(code: EINVAL, operation: "zmq_curve_public(invalid secret key)") }
        var pub = [CChar](repeating: 0, count: z85Length + 1)
        guard zmq_curve_public(&pub, secretKey) == 0 else { throw ZMQError.last("zmq_curve_public") }
        return CurveKeyPair(publicKey: string(pub), secretKey: secretKey)
    }

    /// True for 40 chars of the Z85 alphabet that decode to 32 bytes, so config errors surface early.
    public static func isValidKey(_ z85: String) -> Bool {
        let utf8 = Array(z85.utf8)
        guard utf8.count == z85Length, utf8.allSatisfy(z85Alphabet.contains) else { return false }
        return z85Decode(z85) != nil
    }

    /// zmq_z85_decode of a validated-length string; nil if libzmq rejects it (e.g. overflowing group).
    static func z85Decode(_ z85: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: z85.utf8.count * 4 / 5)
        guard zmq_z85_decode(&bytes, z85) != nil else { return nil }
        return bytes
    }

    /// zmq_z85_encode of bytes whose count is a multiple of 4 (a raw 32-byte key gives 40 chars).
    static func z85Encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { return nil }
        return string(text)
    }

    /// NUL-terminated C buffer to String.
    private static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
