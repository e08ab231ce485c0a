/// One image kept as evidence with an event (revision 4): the gate sends its
/// hash and size inside the signed event and the bytes afterwards, so the
/// signature covers images that arrive later.
public struct EventImageDigest: Codable, Sendable, Hashable {
    /// `frame` (the whole best frame) or `crop` (the plate region of it).
    public var role: String
    /// SHA-256 of the JPEG bytes, 64 lowercase hex digits.
    public var sha256: String
    /// Size of the JPEG in bytes.
    public var bytes: Int

    /// The largest image a gate may send (8 MiB): a 1920×1080 grey JPEG at high quality is well under 1 MiB.
    public static let largestImage = 8 << 20

    public init(role: String, sha256: String, bytes: Int) {
        self.role = role
        self.sha256 = sha256
        self.bytes = bytes
    }
}
