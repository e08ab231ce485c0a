/// One reason an evidence bundle does not hold up, each with its own message
/// (what `bollardctl evidence verify` prints after `FAIL`).
public enum EvidenceProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the key a signature was checked against came from.
    public enum KeySource: String, Sendable, Hashable {
        /// The key written inside the bundle (weaker: whoever forged the bundle could have put theirs there).
        case bundle
        /// A key given to the verifier (`--central-key`, `--gate-key`).
        case given
    }

    // The container.
    case notAZip
    /// A ZIP whose directory points outside the file, or that uses ZIP64 (no bundle needs it): not read further.
    case archiveMalformed(String)
    case manifestMissing
    /// Two entries with the same name: ZIP readers disagree on which one they show.
    case duplicateEntry(String)
    /// An entry larger than any bundle holds (refused before reading it).
    case entryTooLarge(String, bytes: Int64)
    case manifestMalformed(String)
    case unsupportedFormat(String)

    // Central's countersignature.
    case countersignatureMissing
    case countersignatureMalformed
    case centralKeyMalformed
    case countersignatureInvalid(KeySource, bundleKey: String)

    // The files.
    case listedFileMissing(String)
    case fileHashMismatch(String, listed: String, actual: String)
    case fileSizeMismatch(String, listed: Int, actual: Int)
    case unlistedFile(String)

    // The gate's seal.
    case payloadMalformed
    case payloadMismatch(field: String, manifest: String, signed: String)
    /// `at` is not `at_ms` in Madrid local time.
    case timeMismatch(at: String, atMilliseconds: Int64)
    case eventHashMismatch(listed: String, actual: String)
    case gateKeyMalformed
    case gateSignatureMissing
    case gateSignatureInvalid(KeySource, bundleKey: String)
    case imageMissing(role: String)
    case imageHashMismatch(role: String, signed: String, actual: String)
    case unsignedImage(String)

    // The hash chain.
    case chainLinkMalformed(position: String)
    case chainLinkSeqMismatch(listed: Int64, signed: Int64)
    case chainOtherOrigin(seq: Int64, origin: String)
    case chainLinkSignatureInvalid(seq: Int64)
    case chainMissingSeq(after: Int64, next: Int64)
    case chainReordered(Int64, then: Int64)
    case chainBroken(seq: Int64, previous: Int64)

    public var description: String {
        switch self {
        case .notAZip: "not a ZIP archive"
        case .archiveMalformed(let why): "the ZIP archive is damaged or not as central writes bundles: \(why)"
        case .manifestMissing: "manifest.json is missing"
        case .duplicateEntry(let name): "\(name) appears more than once in the archive"
        case .entryTooLarge(let name, let bytes): "\(name) is \(bytes) bytes, more than a bundle may hold"
        case .manifestMalformed(let why): "manifest.json is not a bollard-evidence manifest: \(why)"
        case .unsupportedFormat(let format): "manifest format \"\(format)\" is not \(EvidenceManifest.currentFormat)"
        case .countersignatureMissing: "manifest.sig is missing: central's countersignature cannot be checked"
        case .countersignatureMalformed: "manifest.sig is not a 64-byte Ed25519 signature in base64"
        case .centralKeyMalformed: "the central public key in the manifest is not a 32-byte Ed25519 key in base64"
        case .countersignatureInvalid(.given, let bundleKey):
            "manifest.sig does not verify with the central key given (the bundle names \(bundleKey)): "
                + "manifest.json was changed, or the bundle was not issued by that central"
        case .countersignatureInvalid(.bundle, _):
            "manifest.sig does not verify with the central key in the manifest: manifest.json was changed after central signed it"
        case .listedFileMissing(let name): "\(name) is listed in the manifest but missing from the archive"
        case .fileHashMismatch(let name, let listed, let actual):
            "\(name) was changed: its SHA-256 is \(actual), the manifest lists \(listed)"
        case .fileSizeMismatch(let name, let listed, let actual): "\(name) is \(actual) bytes, the manifest lists \(listed)"
        case .unlistedFile(let name): "\(name) is in the archive but not listed in the manifest"
        case .payloadMalformed: "the signed event payload is not a bollard-event/1 payload in base64"
        case .payloadMismatch(let field, let manifest, let signed):
            "the manifest's event field \(field) (\(manifest)) is not what the gate signed (\(signed))"
        case .timeMismatch(let at, let ms): "the manifest's time \(at) is not at_ms \(ms) in Madrid time"
        case .eventHashMismatch(let listed, let actual): "the manifest's event hash \(listed) is not the payload's SHA-256 \(actual)"
        case .gateKeyMalformed: "the gate public key is not a 32-byte Ed25519 key in base64"
        case .gateSignatureMissing: "the event carries no gate signature"
        case .gateSignatureInvalid(.given, let bundleKey):
            "the gate signature does not verify with the gate key given (the bundle names \(bundleKey)): wrong key, or the event was changed"
        case .gateSignatureInvalid(.bundle, _):
            "the gate signature does not verify with the gate key in the manifest: the event was changed after the gate signed it"
        case .imageMissing(let role): "the gate signed a \(role) image, but images/\(role).jpg is not in the bundle"
        case .imageHashMismatch(let role, let signed, let actual):
            "images/\(role).jpg is not the image the gate signed: its SHA-256 is \(actual), the signed payload says \(signed)"
        case .unsignedImage(let name): "\(name) is not among the images the gate signed"
        case .chainLinkMalformed(let position): "chain link \(position) is not a bollard-event/1 payload in base64"
        case .chainLinkSeqMismatch(let listed, let signed): "chain link listed as seq \(listed) is seq \(signed) in its signed payload"
        case .chainOtherOrigin(let seq, let origin): "chain link seq \(seq) belongs to another origin (\(origin))"
        case .chainLinkSignatureInvalid(let seq): "chain link seq \(seq): the gate signature does not verify"
        case .chainMissingSeq(let after, let next):
            next == after + 2
                ? "chain broken: event seq \(after + 1) is missing between \(after) and \(next)"
                : "chain broken: events seq \(after + 1)...\(next - 1) are missing between \(after) and \(next)"
        case .chainReordered(let first, let then): "chain reordered: seq \(then) comes after seq \(first)"
        case .chainBroken(let seq, let previous):
            "chain broken: seq \(seq) does not carry the hash of seq \(previous) (an event was changed, replaced or removed)"
        }
    }
}
