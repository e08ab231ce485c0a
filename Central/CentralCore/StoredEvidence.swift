import Foundation
import WireProtocol

/// One event as central holds it, with what an evidence bundle needs to
/// show it is what the gate decided: the event as the gate sent it (images'
/// digests, `prev`, `sig`), the key to check the signature with, the images'
/// bytes, and up to two neighbours each side of the same origin (their
/// hashes and `prev`s show that nothing was removed around it).
public struct StoredEvidence: Sendable, Hashable {
    public var gateID: String
    public var origin: String
    public var event: Event
    /// The gate's Ed25519 public key, raw 32 bytes in base64; nil when central holds none.
    public var signingPublicKey: String?
    /// How the seal was judged on ingest; nil for an event stored before revision 4.
    public var seal: CentralStore.SealStatus?
    /// The images' bytes by role (`frame`, `crop`); only those uploaded so far.
    public var images: [String: Data]
    /// Up to two events of the same origin before this one, oldest first, as sent.
    public var before: [Event]
    /// Up to two events of the same origin after this one, oldest first, as sent.
    public var after: [Event]
    /// The hash central computed on ingest (`EventSeal.hash`) of this event and
    /// of each neighbour, by seq: the chain still shows after retention has
    /// forgotten an authorised neighbour's plate (which its signature covers).
    public var hashes: [Int64: String]
}
