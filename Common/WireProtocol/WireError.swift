/// Why a frame could not be turned into a message. Each maps to the `code`
/// of an `error` reply, so a peer learns exactly what was wrong.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// Not JSON, not an object, or a field missing or of the wrong type.
        case malformed
        /// `type` names no message of this version.
        case unknownType = "unknown_type"
        /// `v` is a version this side does not speak.
        case unsupportedVersion = "unsupported_version"
        /// Frame larger than `ProtocolVersion.maxFrameBytes` or a batch over its limit.
        case tooLarge = "too_large"
        /// The gate's key was revoked after it connected.
        case revoked
        /// A field is well-formed but its value is not acceptable (e.g. event seq ≤ 0).
        case invalid
        /// Central could not complete the request (e.g. its disk is full); retry later.
        case unavailable
        /// Revision 4: the `signing_key` a gate announced is not the one central
        /// holds for it (registered or pinned at its first hello).
        case signingKeyMismatch = "signing_key_mismatch"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
