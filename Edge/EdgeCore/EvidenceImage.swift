import Evidence
import Foundation
import WireProtocol

/// An image the gate keeps as evidence with an event (revision 4): the JPEG
/// bytes and the digest the signed event carries for them.
public struct EvidenceImage: Sendable, Hashable {
    /// `frame` (the whole best frame) or `crop` (the plate with a margin).
    public var role: String
    public var jpeg: Data

    public init(role: String, jpeg: Data) {
        self.role = role
        self.jpeg = jpeg
    }

    public var digest: EventImageDigest {
        EventImageDigest(role: role, sha256: EventSeal.hexDigest(jpeg), bytes: jpeg.count)
    }
}
