import Crypto
import Foundation
import WireProtocol

/// What a gate signs for each event, and the hash that chains it to the next
/// (docs/protocol.md §3.6).
///
/// The payload is text, one `key=value` line per field in a fixed order, so
/// that a gate or verifier written in any language builds the same bytes
/// without a canonical-JSON library. Its SHA-256 is the event's hash; the
/// next event of the same origin carries that hash as `prev`, so deleting or
/// reordering an event breaks the chain, and the signature covers the images'
/// hashes, so an image cannot be swapped after the event was signed.
public enum EventSeal {
    /// `prev` of the first event of an origin.
    public static let genesis = String(repeating: "0", count: 64)

    /// The exact bytes signed for `event` of `origin`. `prev` is the event's
    /// `previousHash` (or `genesis` when absent); `sig` itself is not part of it.
    public static func payload(of event: Event, origin: String) -> Data {
        var lines = ["bollard-event/1"]
        lines.append("origin=\(origin)")
        lines.append("seq=\(event.seq)")
        lines.append("at_ms=\(event.atMilliseconds)")
        lines.append("kind=\(event.kind.rawValue)")
        lines.append("plate=\(event.plate ?? "")")
        lines.append("confidence=\(String(format: "%.4f", event.confidence))")
        lines.append("permit_id=\(event.permitID ?? "")")
        lines.append("reason=\(event.reason ?? "")")
        lines.append("candidates=\((event.candidates ?? []).joined(separator: ","))")
        let images = (event.images ?? []).sorted { $0.role < $1.role }.map { "\($0.role):\($0.sha256):\($0.bytes)" }
        lines.append("images=\(images.joined(separator: ","))")
        lines.append("prev=\(event.previousHash ?? genesis)")
        // Revision 5: the read's source is signed too, so a bundle proves the read came from a camera.
        // Absent, the line is left out and an older gate's payload is unchanged.
        if let source = event.source { lines.append("source=\(source)") }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// The event's hash: SHA-256 of its payload, 64 lowercase hex digits.
    public static func hash(of event: Event, origin: String) -> String {
        hexDigest(payload(of: event, origin: origin))
    }

    /// SHA-256 of any bytes as 64 lowercase hex digits (image hashes use it too).
    public static func hexDigest(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// `event` with `previousHash` set to `previous` and signed with `key`.
    public static func seal(_ event: Event, origin: String, previous: String, key: Curve25519.Signing.PrivateKey) throws -> Event {
        var sealed = event
        sealed.previousHash = previous
        sealed.signature = nil
        sealed.signature = try key.signature(for: payload(of: sealed, origin: origin)).base64EncodedString()
        return sealed
    }

    /// Why the event's signature does not hold, or nil when it does.
    public static func signatureProblem(of event: Event, origin: String, publicKey: Curve25519.Signing.PublicKey) -> SignatureProblem? {
        guard let text = event.signature else { return .missing }
        guard let signature = Data(base64Encoded: text), signature.count == 64 else { return .malformed }
        return publicKey.isValidSignature(signature, for: payload(of: event, origin: origin)) ? nil : .doesNotVerify
    }

    /// Why a signature check failed.
    public enum SignatureProblem: String, Sendable, Equatable, CustomStringConvertible {
        case missing = "the event carries no signature"
        case malformed = "the signature is not 64 bytes of base64"
        case doesNotVerify = "the signature does not verify with the gate's key"
        public var description: String { rawValue }
    }
}
