import Crypto
import Domain
import Evidence
import Foundation
import Testing
import WireProtocol

@Suite("Event seal: signed payload and hash chain")
struct EventSealTests {
    let key = Curve25519.Signing.PrivateKey()
    let event = Event(
        seq: 7, atMilliseconds: 1_790_000_000_123, kind: .violation, plate: "1234BCD", confidence: 0.87,
        permitID: nil, reason: "no_permit", candidates: nil,
        images: [EventImageDigest(role: "frame", sha256: String(repeating: "a", count: 64), bytes: 1000)])

    @Test("the payload is the documented lines in their fixed order")
    func payloadText() {
        let text = String(decoding: EventSeal.payload(of: event, origin: "db-1"), as: UTF8.self)
        #expect(
            text == """
                bollard-event/1
                origin=db-1
                seq=7
                at_ms=1790000000123
                kind=violation
                plate=1234BCD
                confidence=0.8700
                permit_id=
                reason=no_permit
                candidates=
                images=frame:\(String(repeating: "a", count: 64)):1000
                prev=\(EventSeal.genesis)

                """)
    }

    @Test("a read's source is signed as a last line when the event carries one, and cannot be changed or removed; without one the payload is as before")
    func sourceIsSigned() throws {
        var camera = event
        camera.source = "camera"
        let text = String(decoding: EventSeal.payload(of: camera, origin: "db-1"), as: UTF8.self)
        #expect(text == String(decoding: EventSeal.payload(of: event, origin: "db-1"), as: UTF8.self) + "source=camera\n")
        let sealed = try EventSeal.seal(camera, origin: "db-1", previous: EventSeal.genesis, key: key)
        #expect(EventSeal.signatureProblem(of: sealed, origin: "db-1", publicKey: key.publicKey) == nil)
        var relabelled = sealed; relabelled.source = "injected"
        var stripped = sealed; stripped.source = nil
        #expect(EventSeal.signatureProblem(of: relabelled, origin: "db-1", publicKey: key.publicKey) == .doesNotVerify)
        #expect(EventSeal.signatureProblem(of: stripped, origin: "db-1", publicKey: key.publicKey) == .doesNotVerify)
    }

    @Test("a sealed event verifies with the gate's public key and with no other")
    func signatureVerifies() throws {
        let sealed = try EventSeal.seal(event, origin: "db-1", previous: EventSeal.genesis, key: key)
        #expect(EventSeal.signatureProblem(of: sealed, origin: "db-1", publicKey: key.publicKey) == nil)
        #expect(EventSeal.signatureProblem(of: sealed, origin: "db-1", publicKey: Curve25519.Signing.PrivateKey().publicKey) == .doesNotVerify)
        #expect(EventSeal.signatureProblem(of: sealed, origin: "db-2", publicKey: key.publicKey) == .doesNotVerify)
    }

    @Test("changing any signed field, an image hash among them, breaks the signature")
    func tamperingBreaksSignature() throws {
        let sealed = try EventSeal.seal(event, origin: "db-1", previous: EventSeal.genesis, key: key)
        var changes: [Event] = []
        var plate = sealed; plate.plate = "1234BCF"; changes.append(plate)
        var time = sealed; time.atMilliseconds += 1; changes.append(time)
        var kind = sealed; kind.kind = .authorised; changes.append(kind)
        var image = sealed; image.images = [EventImageDigest(role: "frame", sha256: String(repeating: "b", count: 64), bytes: 1000)]; changes.append(image)
        var prev = sealed; prev.previousHash = String(repeating: "1", count: 64); changes.append(prev)
        for changed in changes {
            #expect(EventSeal.signatureProblem(of: changed, origin: "db-1", publicKey: key.publicKey) == .doesNotVerify)
        }
        var unsigned = sealed; unsigned.signature = nil
        #expect(EventSeal.signatureProblem(of: unsigned, origin: "db-1", publicKey: key.publicKey) == .missing)
    }

    @Test("each event's prev is the hash of the one before, so a removed event shows")
    func chainLinks() throws {
        var previous = EventSeal.genesis
        var chain: [Event] = []
        for seq in 1...3 {
            var next = event
            next.seq = Int64(seq)
            let sealed = try EventSeal.seal(next, origin: "db-1", previous: previous, key: key)
            previous = EventSeal.hash(of: sealed, origin: "db-1")
            chain.append(sealed)
        }
        #expect(chain[1].previousHash == EventSeal.hash(of: chain[0], origin: "db-1"))
        #expect(chain[2].previousHash != EventSeal.hash(of: chain[0], origin: "db-1"))
    }

    @Test("a signing key file is created 0600 and reads back as the same key")
    func keyFileRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/signing.key"
        let created = try SigningKey.loadOrCreate(path: path)
        let again = try SigningKey.loadOrCreate(path: path)
        #expect(created.publicKeyBase64 == again.publicKeyBase64)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try SigningKey.publicKey(path: path).rawRepresentation == created.publicKey.rawRepresentation)
        chmod(path, 0o644)
        #expect(throws: (any Error).self) { try SigningKey.load(path: path) }
    }
}
