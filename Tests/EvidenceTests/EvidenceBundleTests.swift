import Crypto
import Evidence
import Foundation
import Testing
import WireProtocol

@Suite("Evidence bundle: built by central, verified offline")
struct EvidenceBundleTests {
    let fixture = EvidenceFixture()

    func verify(_ zip: Data, central: SigningKey? = nil, gate: SigningKey? = nil) -> EvidenceVerifier.Report {
        EvidenceVerifier.verify(
            zip, centralKey: (central ?? fixture.centralKey).publicKey, gateKey: (gate ?? fixture.gateKey).publicKey)
    }

    @Test("a good bundle verifies with central's and the gate's keys, and names the event hash")
    func goodBundleVerifies() throws {
        let report = verify(try fixture.bundle())
        #expect(report.problems == [])
        #expect(report.holds)
        #expect(report.eventHash == EventSeal.hash(of: fixture.violation, origin: fixture.origin))
        #expect(report.lines.contains { $0.text.contains("hash chain holds over seq 1...5") })
    }

    @Test("without keys the bundle still verifies, and the report says the countersignature was checked against the bundle's own key only")
    func withoutKeysSaysWeaker() throws {
        let report = EvidenceVerifier.verify(try fixture.bundle())
        #expect(report.holds)
        #expect(report.lines.contains { $0.outcome == .note && $0.text.contains("central key inside the bundle only") })
    }

    @Test("the manifest holds the event, the decision, keys, the signed payload, chain, reviews, issuer and file hashes")
    func manifestContents() throws {
        let entries = try EvidenceFixture.entries(try fixture.bundle())
        #expect(entries.map(\.name) == ["manifest.json", "manifest.sig", "images/crop.jpg", "images/frame.jpg"])
        let manifest = try JSONDecoder().decode(EvidenceManifest.self, from: entries[0].data)
        #expect(manifest.format == "bollard-evidence/1")
        #expect(manifest.violation.plate == "1234BCD" && manifest.violation.seq == 3 && manifest.violation.reason == "expired")
        #expect(manifest.violation.at == "2026-11-18T09:23:03.456+01:00")
        #expect(Data(base64Encoded: manifest.seal.payload) == EventSeal.payload(of: fixture.violation, origin: fixture.origin))
        #expect(manifest.seal.signature == fixture.violation.signature)
        #expect(manifest.gate.signingPublicKey == fixture.gateKey.publicKeyBase64)
        #expect(manifest.issued.centralPublicKey == fixture.centralKey.publicKeyBase64)
        #expect(manifest.issued.reason == "expediente 2026/1234")
        #expect(manifest.chain.before.map(\.seq) == [1, 2] && manifest.chain.after.map(\.seq) == [4, 5])
        #expect(manifest.reviews.map(\.action) == ["confirm"])
        #expect(manifest.decision.permitSeq == 41)
        #expect(manifest.files.map(\.name) == ["images/crop.jpg", "images/frame.jpg"])
        #expect(manifest.files[1].sha256 == EventSeal.hexDigest(fixture.frame) && manifest.files[1].bytes == fixture.frame.count)
        #expect(Data(base64Encoded: String(decoding: entries[1].data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            .map { fixture.centralKey.publicKey.isValidSignature($0, for: entries[0].data) } == true)
    }

    @Test("a bundle re-zipped with compression by another tool still verifies: the files count, not the container")
    func rezippedDeflated() throws {
        let entries = try EvidenceFixture.entries(try fixture.bundle())
        #expect(verify(try EvidenceFixture.zip(entries.reversed(), compression: .deflate)).problems == [])
    }

    @Test("the same contents and key give the same bytes")
    func deterministic() throws {
        #expect(try fixture.bundle() == fixture.bundle())
    }

    @Test("only the nearest two events on each side of the violation go into the chain")
    func chainReach() throws {
        var far = fixture.events
        far.append(Event(seq: 9, atMilliseconds: 1, kind: .exit, plate: nil, confidence: 1))
        let zip = try EvidenceBundle.build(contents: fixture.contents(neighbours: far), centralKey: fixture.centralKey)
        let manifest = try JSONDecoder().decode(EvidenceManifest.self, from: EvidenceFixture.entries(zip)[0].data)
        #expect(manifest.chain.after.map(\.seq) == [4, 5])
    }

    // MARK: Tampering, each with its own message

    @Test("a changed image byte names the image: its hash is neither the listed one nor the signed one")
    func changedImageByte() throws {
        let zip = try fixture.bundle()
        var bytes = zip
        let start = zip.range(of: fixture.frame)!.lowerBound
        bytes[start + 1000] ^= 0x01
        let problems = verify(bytes).problems
        #expect(problems.contains { if case .fileHashMismatch("images/frame.jpg", _, _) = $0 { true } else { false } })
        #expect(problems.contains { if case .imageHashMismatch(role: "frame", _, _) = $0 { true } else { false } })
        #expect(!problems.contains { if case .fileHashMismatch("images/crop.jpg", _, _) = $0 { true } else { false } })
    }

    @Test("a changed manifest byte breaks central's countersignature")
    func changedManifestByte() throws {
        let zip = try fixture.bundle().replacing("expediente 2026/1234", with: "expediente 2026/1235")
        let problems = verify(zip).problems
        #expect(problems == [.countersignatureInvalid(.given, bundleKey: fixture.centralKey.publicKeyBase64)])
        #expect(EvidenceVerifier.verify(zip).problems == [.countersignatureInvalid(.bundle, bundleKey: fixture.centralKey.publicKeyBase64)])
    }

    @Test("a removed image is missing both from the files listed and from the images the gate signed")
    func removedImage() throws {
        let entries = try EvidenceFixture.entries(try fixture.bundle()).filter { $0.name != "images/crop.jpg" }
        let problems = verify(try EvidenceFixture.zip(entries)).problems
        #expect(problems == [.listedFileMissing("images/crop.jpg"), .imageMissing(role: "crop")])
    }

    @Test("an image removed and delisted by a forger who re-signs the manifest is still missing from what the gate signed")
    func removedImageResigned() throws {
        let forger = SigningKey()
        var entries = try EvidenceFixture.entries(try fixture.resigned(try fixture.bundle(), with: forger) { $0.files.removeAll { $0.name == "images/crop.jpg" } })
        entries.removeAll { $0.name == "images/crop.jpg" }
        let zip = try EvidenceFixture.zip(entries)
        #expect(verify(zip).problems == [.countersignatureInvalid(.given, bundleKey: forger.publicKeyBase64), .imageMissing(role: "crop")])
        #expect(EvidenceVerifier.verify(zip).problems == [.imageMissing(role: "crop")])
    }

    @Test("a wrong central key fails the countersignature, naming the key the bundle carries")
    func wrongCentralKey() throws {
        let problems = verify(try fixture.bundle(), central: SigningKey()).problems
        #expect(problems == [.countersignatureInvalid(.given, bundleKey: fixture.centralKey.publicKeyBase64)])
        #expect(problems[0].description.contains("does not verify with the central key given"))
    }

    @Test("a wrong gate key fails the gate's signature on the event and on every chain link")
    func wrongGateKey() throws {
        let problems = verify(try fixture.bundle(), gate: SigningKey()).problems
        #expect(problems.first == .gateSignatureInvalid(.given, bundleKey: fixture.gateKey.publicKeyBase64))
        #expect(Array(problems.dropFirst()) == [1, 2, 4, 5].map { EvidenceProblem.chainLinkSignatureInvalid(seq: $0) })
    }

    @Test("a gate key swapped in the manifest by a forger fails without --gate-key, and is pointed out with it")
    func swappedGateKey() throws {
        let forgedGate = SigningKey()
        let zip = try fixture.resigned(try fixture.bundle()) { $0.gate.signingPublicKey = forgedGate.publicKeyBase64 }
        #expect(EvidenceVerifier.verify(zip).problems.first == .gateSignatureInvalid(.bundle, bundleKey: forgedGate.publicKeyBase64))
        let report = verify(zip)
        #expect(report.holds)
        #expect(report.lines.contains { $0.outcome == .note && $0.text.contains("the manifest names another gate key") })
    }

    @Test("an event field changed in a re-signed manifest is not what the gate signed, and names the field")
    func eventFieldChanged() throws {
        let zip = try fixture.resigned(try fixture.bundle()) { $0.violation.plate = "1234BCF" }
        #expect(verify(zip).problems == [.payloadMismatch(field: "plate", manifest: "1234BCF", signed: "1234BCD")])
    }

    @Test("a changed signed payload no longer verifies with the gate's key")
    func payloadChanged() throws {
        var forged = fixture.violation
        forged.plate = "1234BCF"
        let zip = try fixture.resigned(try fixture.bundle()) {
            $0.violation.plate = "1234BCF"
            let payload = EventSeal.payload(of: forged, origin: fixture.origin)
            $0.seal.payload = payload.base64EncodedString()
            $0.seal.eventHash = EventSeal.hexDigest(payload)
        }
        let problems = verify(zip).problems
        #expect(problems.first == .gateSignatureInvalid(.given, bundleKey: fixture.gateKey.publicKeyBase64))
        // The next event carries the hash of the true one.
        #expect(problems.contains(.chainBroken(seq: 4, previous: 3)))
    }

    @Test("a neighbour removed from the chain shows as a missing seq")
    func removedNeighbour() throws {
        let zip = try fixture.resigned(try fixture.bundle()) { $0.chain.before.removeLast() }
        #expect(verify(zip).problems == [.chainMissingSeq(after: 1, next: 3)])
        #expect(EvidenceFixture.describe(.chainMissingSeq(after: 1, next: 3)) == "chain broken: event seq 2 is missing between 1 and 3")
    }

    @Test("an event deleted from central's store shows as a gap in the chain of the next bundle")
    func deletedEvent() throws {
        let contents = fixture.contents(neighbours: fixture.events.filter { $0.seq != 4 })
        let zip = try EvidenceBundle.build(contents: contents, centralKey: fixture.centralKey)
        #expect(verify(zip).problems == [.chainMissingSeq(after: 3, next: 5)])
    }

    @Test("reordered chain links show as reordered")
    func reorderedChain() throws {
        let zip = try fixture.resigned(try fixture.bundle()) { $0.chain.after.reverse() }
        let problems = verify(zip).problems
        #expect(problems.contains(.chainReordered(5, then: 4)))
        #expect(problems.contains(.chainMissingSeq(after: 3, next: 5)))
    }

    @Test("a neighbour replaced by another signed event breaks the hash link")
    func replacedNeighbour() throws {
        var replacement = Event(seq: 4, atMilliseconds: 1_794_990_244_000, kind: .authorised, plate: "9999ZZZ", confidence: 0.99, permitID: "P-9")
        replacement = try EventSeal.seal(replacement, origin: fixture.origin, previous: EventSeal.genesis, key: fixture.gateKey.privateKey)
        let zip = try fixture.resigned(try fixture.bundle()) { $0.chain.after[0] = fixture.link(replacement) }
        #expect(verify(zip).problems == [.chainBroken(seq: 4, previous: 3), .chainBroken(seq: 5, previous: 4)])
    }

    @Test("the container: not a ZIP, no manifest, no signature, an extra file, each its own failure")
    func container() throws {
        #expect(verify(Data("PK not really".utf8)).problems == [.notAZip])
        let entries = try EvidenceFixture.entries(try fixture.bundle())
        #expect(verify(try EvidenceFixture.zip(Array(entries.dropFirst()))).problems == [.manifestMissing])
        #expect(verify(try EvidenceFixture.zip(entries.filter { $0.name != "manifest.sig" })).problems == [.countersignatureMissing])
        let extra = entries + [("images/other.jpg", Data([1, 2, 3]))]
        #expect(verify(try EvidenceFixture.zip(extra)).problems == [.unlistedFile("images/other.jpg"), .unsignedImage("images/other.jpg")])
        let twice = entries + [entries[0]]
        #expect(verify(try EvidenceFixture.zip(twice)).problems.contains(.duplicateEntry("manifest.json")))
    }

    @Test("no single changed byte anywhere in a bundle crashes the verifier, and none that changes a file's content passes")
    func everyByteFlipped() throws {
        let zip = try fixture.bundle()
        let original = try EvidenceFixture.entries(zip).map { "\($0.name):\(EventSeal.hexDigest($0.data))" }
        // Every 17th byte, and every byte of the central directory at the end (where offsets and sizes are).
        let offsets = Set(stride(from: 0, to: zip.count, by: 17)).union(max(0, zip.count - 300)..<zip.count)
        for offset in offsets.sorted() {
            var bytes = zip
            bytes[offset] ^= 0x21
            let report = verify(bytes)
            let entries = (try? EvidenceFixture.entries(bytes))?.map { "\($0.name):\(EventSeal.hexDigest($0.data))" }
            if entries != original {
                #expect(!report.holds, "byte \(offset) changed a file, yet the bundle verified")
            }
        }
    }

    @Test("a ZIP whose directory points past its end, or that claims ZIP64, is refused before it is read")
    func hostileDirectory() throws {
        let zip = try fixture.bundle()
        let end = zip.count - 22
        var outside = zip
        outside[end + 16] = 0xF0  // central directory offset far past the end
        outside[end + 17] = 0xFF
        outside[end + 18] = 0xFF
        #expect(verify(outside).problems == [.archiveMalformed("the central directory lies outside the file")])
        var zip64 = zip
        for index in 0..<4 { zip64[end + 12 + index] = 0xFF }
        #expect(verify(zip64).problems == [.archiveMalformed("it uses ZIP64")])
    }

    @Test("every kind of failure has its own message")
    func distinctMessages() {
        let problems: [EvidenceProblem] = [
            .notAZip, .archiveMalformed("x"), .manifestMissing, .duplicateEntry("a"), .entryTooLarge("a", bytes: 1), .manifestMalformed("x"), .unsupportedFormat("y"),
            .countersignatureMissing, .countersignatureMalformed, .centralKeyMalformed, .countersignatureInvalid(.given, bundleKey: "k"),
            .countersignatureInvalid(.bundle, bundleKey: "k"), .listedFileMissing("a"), .fileHashMismatch("a", listed: "1", actual: "2"),
            .fileSizeMismatch("a", listed: 1, actual: 2), .unlistedFile("a"), .payloadMalformed,
            .payloadMismatch(field: "plate", manifest: "1", signed: "2"), .timeMismatch(at: "t", atMilliseconds: 1),
            .eventHashMismatch(listed: "1", actual: "2"), .gateKeyMalformed, .gateSignatureMissing, .gateSignatureInvalid(.given, bundleKey: "k"),
            .gateSignatureInvalid(.bundle, bundleKey: "k"), .imageMissing(role: "frame"), .imageHashMismatch(role: "frame", signed: "1", actual: "2"),
            .unsignedImage("a"), .chainLinkMalformed(position: "after[0]"), .chainLinkSeqMismatch(listed: 1, signed: 2),
            .chainOtherOrigin(seq: 1, origin: "o"), .chainLinkSignatureInvalid(seq: 1), .chainMissingSeq(after: 1, next: 3),
            .chainReordered(2, then: 1), .chainBroken(seq: 2, previous: 1),
        ]
        let messages = problems.map(\.description)
        #expect(Set(messages).count == messages.count)
    }
}

extension EvidenceFixture {
    static func describe(_ problem: EvidenceProblem) -> String { problem.description }
}
