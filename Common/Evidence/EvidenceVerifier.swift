import Crypto
import Foundation
import WireProtocol
import ZIPFoundation

#if canImport(Glibc)
import Glibc
#endif

/// Checks an evidence bundle offline, as a court's expert would by hand
/// (docs/evidence.md): the countersignature, every file's hash, the gate's
/// signature over the event, the images against the signed hashes, and the
/// hash chain around the event. It goes on after a failure, so that the
/// report says everything that is wrong, not only the first thing.
public enum EvidenceVerifier {
    /// No entry of a bundle is larger: images are at most 8 MiB, the manifest a few kB.
    public static let largestEntry: Int64 = 16 << 20
    /// No bundle holds more entries (a manifest, its signature and a few images).
    public static let mostEntries = 64

    /// What the verifier found: one line per check, in order.
    public struct Report: Sendable {
        public enum Outcome: Sendable, Equatable {
            case passed
            /// Checked, but what it proves is limited; the text says how.
            case note
            case failed(EvidenceProblem)
        }

        public struct Line: Sendable, Equatable {
            public var outcome: Outcome
            public var text: String
        }

        public var lines: [Line] = []
        /// The event's hash (SHA-256 of the signed payload) when the manifest could be read.
        public var eventHash: String?

        /// Every failure, in the order found.
        public var problems: [EvidenceProblem] {
            lines.compactMap { line in
                if case .failed(let problem) = line.outcome { return problem }
                return nil
            }
        }

        /// True when nothing failed.
        public var holds: Bool { problems.isEmpty }

        mutating func pass(_ text: String) { lines.append(Line(outcome: .passed, text: text)) }
        mutating func note(_ text: String) { lines.append(Line(outcome: .note, text: text)) }
        mutating func fail(_ problem: EvidenceProblem) { lines.append(Line(outcome: .failed(problem), text: problem.description)) }
    }

    /// Verifies `zipData`. `centralKey` and `gateKey`, when given, are the keys
    /// the signatures must verify with; without them the keys written in the
    /// manifest are used, which proves integrity but not who signed (the report says so).
    public static func verify(
        _ zipData: Data, centralKey: Curve25519.Signing.PublicKey? = nil, gateKey: Curve25519.Signing.PublicKey? = nil
    ) -> Report {
        var report = Report()
        guard let entries = readEntries(zipData, &report) else { return report }
        guard let manifestBytes = entries[EvidenceBundle.manifestName] else {
            report.fail(.manifestMissing)
            return report
        }
        let manifest: EvidenceManifest?
        do {
            manifest = try JSONDecoder().decode(EvidenceManifest.self, from: manifestBytes)
        } catch {
            manifest = nil
        }
        checkCountersignature(manifestBytes, entries[EvidenceBundle.signatureName], manifest: manifest, centralKey: centralKey, &report)
        guard let manifest else {
            report.fail(.manifestMalformed("not JSON with the fields of \(EvidenceManifest.currentFormat)"))
            return report
        }
        guard manifest.format == EvidenceManifest.currentFormat else {
            report.fail(.unsupportedFormat(manifest.format))
            return report
        }
        checkFiles(manifest, entries, &report)
        let gatePublicKey = checkSeal(manifest, gateKey: gateKey, &report)
        checkImages(manifest, entries, &report)
        checkChain(manifest, gateKey: gatePublicKey, &report)
        return report
    }

    // MARK: The container

    /// The archive's files by name, or nil (after recording why) when it is not a readable ZIP.
    ///
    /// ZIPFoundation reads from a temporary file, not from memory: its in-memory reader traps on an
    /// offset past the end of the data (a hostile bundle would crash the verifier), a file reader does not.
    private static func readEntries(_ zipData: Data, _ report: inout Report) -> [String: Data]? {
        if let problem = ZipLayout.problem(in: zipData) {
            report.fail(problem)
            return nil
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-evidence-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: file) }
        // 0600 from creation: a bundle holds a plate and images of a person's car.
        let fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        let written = fd >= 0 && (try? FileHandle(fileDescriptor: fd, closeOnDealloc: true).write(contentsOf: zipData)) != nil
        guard written else {
            report.fail(.manifestMalformed("cannot write a temporary copy of the bundle to \(file.path)"))
            return nil
        }
        guard let archive = try? Archive(url: file, accessMode: .read) else {
            report.fail(.notAZip)
            return nil
        }
        var entries: [String: Data] = [:]
        var count = 0
        for entry in archive where entry.type != .directory {
            count += 1
            guard count <= mostEntries else {
                report.fail(.manifestMalformed("more than \(mostEntries) entries in the archive"))
                return nil
            }
            let name = entry.path
            guard entries[name] == nil else {
                report.fail(.duplicateEntry(name))
                continue
            }
            guard entry.uncompressedSize <= UInt64(largestEntry) else {
                report.fail(.entryTooLarge(name, bytes: Int64(clamping: entry.uncompressedSize)))
                continue
            }
            var data = Data()
            do {
                // The ZIP's own CRC is skipped: the manifest's SHA-256 is the check that counts, and it names the file.
                _ = try archive.extract(entry, skipCRC32: true) { chunk in
                    guard data.count + chunk.count <= largestEntry else { throw EvidenceProblem.entryTooLarge(name, bytes: largestEntry) }
                    data.append(chunk)
                }
            } catch {
                report.fail(.notAZip)
                return nil
            }
            entries[name] = data
        }
        report.pass("the archive is a ZIP with \(entries.count) files")
        return entries
    }

    // MARK: Central's countersignature

    private static func checkCountersignature(
        _ manifestBytes: Data, _ signatureFile: Data?, manifest: EvidenceManifest?, centralKey: Curve25519.Signing.PublicKey?,
        _ report: inout Report
    ) {
        guard let signatureFile else {
            report.fail(.countersignatureMissing)
            return
        }
        let text = String(decoding: signatureFile, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let signature = Data(base64Encoded: text), signature.count == 64 else {
            report.fail(.countersignatureMalformed)
            return
        }
        let bundleKeyText = manifest?.issued.centralPublicKey ?? "(unreadable)"
        if let centralKey {
            if centralKey.isValidSignature(signature, for: manifestBytes) {
                report.pass("manifest.sig verifies with the central key given (\(base64(centralKey)))")
            } else {
                report.fail(.countersignatureInvalid(.given, bundleKey: bundleKeyText))
            }
            return
        }
        guard let bundleKey = manifest.flatMap({ SigningKey.publicKey(base64: $0.issued.centralPublicKey) }) else {
            report.fail(.centralKeyMalformed)
            return
        }
        if bundleKey.isValidSignature(signature, for: manifestBytes) {
            report.note(
                "manifest.sig verifies with the central key inside the bundle only (\(bundleKeyText)): this shows the manifest was "
                    + "not changed since it was signed with that key, not that central signed it; give --central-key to check that")
        } else {
            report.fail(.countersignatureInvalid(.bundle, bundleKey: bundleKeyText))
        }
    }

    // MARK: Files

    private static func checkFiles(_ manifest: EvidenceManifest, _ entries: [String: Data], _ report: inout Report) {
        var failed = false
        for file in manifest.files {
            guard let data = entries[file.name] else {
                report.fail(.listedFileMissing(file.name))
                failed = true
                continue
            }
            let actual = EventSeal.hexDigest(data)
            if actual != file.sha256 {
                report.fail(.fileHashMismatch(file.name, listed: file.sha256, actual: actual))
                failed = true
            } else if data.count != file.bytes {
                report.fail(.fileSizeMismatch(file.name, listed: file.bytes, actual: data.count))
                failed = true
            }
        }
        let listed = Set(manifest.files.map(\.name) + [EvidenceBundle.manifestName, EvidenceBundle.signatureName])
        for name in entries.keys.sorted() where !listed.contains(name) {
            report.fail(.unlistedFile(name))
            failed = true
        }
        if !failed { report.pass("every file has the SHA-256 and size the manifest lists (\(manifest.files.count) files), and no other file is present") }
    }

    // MARK: The gate's seal

    /// Checks the payload against the manifest and the gate's signature over it; returns the gate key used (for the chain).
    private static func checkSeal(
        _ manifest: EvidenceManifest, gateKey: Curve25519.Signing.PublicKey?, _ report: inout Report
    ) -> Curve25519.Signing.PublicKey? {
        let violation = manifest.violation
        guard let payload = Data(base64Encoded: manifest.seal.payload), let signed = SealedPayload(payload) else {
            report.fail(.payloadMalformed)
            return gateKey ?? SigningKey.publicKey(base64: manifest.gate.signingPublicKey)
        }
        report.eventHash = EventSeal.hexDigest(payload)
        if manifest.seal.eventHash != report.eventHash {
            report.fail(.eventHashMismatch(listed: manifest.seal.eventHash, actual: EventSeal.hexDigest(payload)))
        }
        let rebuilt = violation.event(signature: nil).map { EventSeal.payload(of: $0, origin: violation.origin) }
        if rebuilt == payload {
            report.pass("the manifest's event fields are exactly the signed payload (event hash \(EventSeal.hexDigest(payload)))")
        } else {
            let ours = rebuilt.flatMap(SealedPayload.init)
            let difference = signed.fields.first { ours?.value($0.key) != $0.value }
            let field = difference?.key ?? "kind"
            report.fail(.payloadMismatch(field: field, manifest: ours?.value(field) ?? violation.kind, signed: signed.value(field) ?? ""))
        }
        if violation.at != EvidenceTime.iso8601(milliseconds: violation.atMilliseconds) {
            report.fail(.timeMismatch(at: violation.at, atMilliseconds: violation.atMilliseconds))
        }

        let bundleKey = SigningKey.publicKey(base64: manifest.gate.signingPublicKey)
        guard !manifest.seal.signature.isEmpty else {
            report.fail(.gateSignatureMissing)
            return gateKey ?? bundleKey
        }
        guard let key = gateKey ?? bundleKey else {
            report.fail(.gateKeyMalformed)
            return nil
        }
        let source: EvidenceProblem.KeySource = gateKey == nil ? .bundle : .given
        if let gateKey, gateKey.rawRepresentation != bundleKey?.rawRepresentation {
            report.note("the manifest names another gate key (\(manifest.gate.signingPublicKey)) than the one given; the key given is used")
        }
        if let signature = Data(base64Encoded: manifest.seal.signature), signature.count == 64, key.isValidSignature(signature, for: payload) {
            if source == .given {
                report.pass("the gate signature verifies with the gate key given (\(base64(key)))")
            } else {
                report.pass(
                    "the gate signature verifies with the gate key in the manifest (\(manifest.gate.signingPublicKey)), "
                        + "covered by central's countersignature; give --gate-key to check it against the gate's own key")
            }
        } else {
            report.fail(.gateSignatureInvalid(source, bundleKey: manifest.gate.signingPublicKey))
        }
        return key
    }

    // MARK: Images

    private static func checkImages(_ manifest: EvidenceManifest, _ entries: [String: Data], _ report: inout Report) {
        let signed = Data(base64Encoded: manifest.seal.payload).flatMap(SealedPayload.init)?.imageHashes ?? [:]
        var failed = false
        for (role, hash) in signed.sorted(by: { $0.key < $1.key }) {
            guard let data = entries[EvidenceBundle.imageName(role: role)] else {
                report.fail(.imageMissing(role: role))
                failed = true
                continue
            }
            let actual = EventSeal.hexDigest(data)
            if actual != hash {
                report.fail(.imageHashMismatch(role: role, signed: hash, actual: actual))
                failed = true
            }
        }
        let signedNames = Set(signed.keys.map(EvidenceBundle.imageName(role:)))
        for name in entries.keys.sorted() where name.hasPrefix("images/") && !signedNames.contains(name) {
            report.fail(.unsignedImage(name))
            failed = true
        }
        if failed { return }
        if signed.isEmpty {
            report.note("the event carries no images")
        } else {
            report.pass("the images are the ones the gate signed (\(signed.keys.sorted().joined(separator: ", ")))")
        }
    }

    // MARK: The hash chain

    private static func checkChain(_ manifest: EvidenceManifest, gateKey: Curve25519.Signing.PublicKey?, _ report: inout Report) {
        let origin = manifest.violation.origin
        var links: [(seq: Int64, hash: String, prev: String?)] = []
        var withheld: [Int64] = []
        var failed = false
        let listed: [(position: String, link: EvidenceManifest.Link)] =
            manifest.chain.before.enumerated().map { ("before[\($0.offset)]", $0.element) }
            + [("event", EvidenceManifest.Link(seq: manifest.violation.seq, payload: manifest.seal.payload, signature: manifest.seal.signature))]
            + manifest.chain.after.enumerated().map { ("after[\($0.offset)]", $0.element) }
        for (position, link) in listed {
            if position != "event", link.payload.isEmpty, let hash = link.hash, let prev = link.prev {
                // A neighbour whose plate retention forgot: its hash and prev as central recorded them.
                links.append((link.seq, hash, prev))
                withheld.append(link.seq)
                continue
            }
            guard let payload = Data(base64Encoded: link.payload), let fields = SealedPayload(payload), let seq = fields.seq else {
                report.fail(.chainLinkMalformed(position: position))
                failed = true
                continue
            }
            if position != "event" {
                if seq != link.seq {
                    report.fail(.chainLinkSeqMismatch(listed: link.seq, signed: seq))
                    failed = true
                }
                if fields.origin != origin {
                    report.fail(.chainOtherOrigin(seq: seq, origin: fields.origin))
                    failed = true
                }
                let signature = Data(base64Encoded: link.signature)
                if let gateKey, !(signature.map { $0.count == 64 && gateKey.isValidSignature($0, for: payload) } ?? false) {
                    report.fail(.chainLinkSignatureInvalid(seq: seq))
                    failed = true
                }
            }
            links.append((seq, EventSeal.hexDigest(payload), fields.prev))
        }
        for (previous, next) in zip(links, links.dropFirst()) {
            if next.seq <= previous.seq {
                report.fail(.chainReordered(previous.seq, then: next.seq))
                failed = true
            } else if next.seq > previous.seq + 1 {
                report.fail(.chainMissingSeq(after: previous.seq, next: next.seq))
                failed = true
            } else if next.prev != previous.hash {
                report.fail(.chainBroken(seq: next.seq, previous: previous.seq))
                failed = true
            }
        }
        if failed { return }
        if !withheld.isEmpty {
            report.note(
                "neighbours \(withheld.map(String.init).joined(separator: ", ")) are given by hash only (retention forgot their plates): "
                    + "their links rest on central's countersignature")
        }
        let seqs = links.map(\.seq)
        if seqs.count == 1 {
            report.note("the chain shows no neighbouring event: nothing proves that none was removed around seq \(manifest.violation.seq)")
        } else {
            report.pass(
                "the hash chain holds over seq \(seqs.first!)...\(seqs.last!): each event carries the hash of the one before, "
                    + "signed by the gate")
        }
        if manifest.violation.seq == 1 && manifest.violation.prev != EventSeal.genesis {
            report.note("seq 1 does not start from the genesis hash: an earlier origin may have been cut")
        }
    }

    private static func base64(_ key: Curve25519.Signing.PublicKey) -> String {
        key.rawRepresentation.base64EncodedString()
    }
}
