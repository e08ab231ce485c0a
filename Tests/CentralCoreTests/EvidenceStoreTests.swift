import TestSupport
import CentralCore
import Crypto
import Domain
import Evidence
import Foundation
import Testing
import WireProtocol

/// Central checks every event's seal on ingest, keeps what does not hold
/// (and says so in status), and takes evidence images in resumable chunks.
@Suite struct EvidenceStoreTests {
    let path: String
    let store: CentralStore
    let key = SigningKey()
    let origin = "db-1"
    let gate = Gate(id: "cv-01", zone: "casco-viejo", direction: .entry)

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-evidence-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/central.sqlite"
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        try store.registerGate(gate, publicKey: String(repeating: "k", count: 40))
    }

    func event(_ seq: Int64, kind: DecisionKind = .violation, images: [EventImageDigest]? = nil) -> Event {
        Event(
            seq: seq, atMilliseconds: 1_764_300_000_000 + seq, kind: kind, plate: "1234BCD", confidence: 0.97,
            reason: kind == .violation ? "no_permit" : nil, images: images)
    }

    /// Events sealed in a chain, as a gate commits them.
    func chain(_ events: [Event], key: SigningKey, from previous: String = EventSeal.genesis) throws -> [Event] {
        var previous = previous
        return try events.map { event in
            let sealed = try EventSeal.seal(event, origin: origin, previous: previous, key: key.privateKey)
            previous = EventSeal.hash(of: sealed, origin: origin)
            return sealed
        }
    }

    @Test("a chained, signed batch is valid; a bad signature, an unsigned event and a chain break are each flagged, stored and in status")
    func sealStatuses() throws {
        try store.setSigningKey(gateID: gate.id, publicKey: key.publicKeyBase64)
        let good = try chain([event(1), event(2)], key: key)
        try store.commit(events: good, from: gate.id, origin: origin)
        #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: 1) == .valid)
        #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: 2) == .valid)
        #expect(try store.sealProblemCounts().isEmpty)

        // Signed by another key, chained correctly.
        let forged = try chain([event(3)], key: SigningKey(), from: EventSeal.hash(of: good[1], origin: origin))
        // Unsigned.
        let unsigned = event(4)
        // Signed by the gate's key, but pointing past a removed event.
        let broken = try chain([event(5)], key: key, from: String(repeating: "a", count: 64))
        let stored = try store.commit(events: forged + [unsigned] + broken, from: gate.id, origin: origin)
        #expect(stored.seqs == [3, 4, 5])  // acknowledged: nothing is lost
        #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: 3) == .badSignature)
        #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: 4) == .unsigned)
        #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: 5) == .chainBreak)
        #expect(try store.eventKeys(gateID: gate.id) == [1, 2, 3, 4, 5])
        #expect(try store.sealProblemCounts()[gate.id] == [.badSignature: 1, .unsigned: 1, .chainBreak: 1])

        let status = try CentralStatus.read(from: store)
        let reasons = try #require(status.gates.first { $0.gateID == gate.id }).reasons
        #expect(reasons.contains { $0.contains("bad_signature") })
        #expect(reasons.contains { $0.contains("unsigned") })
        #expect(reasons.contains { $0.contains("chain_break") })
    }

    @Test("the first announced signing key is pinned; the same key matches; another one is refused and shown")
    func trustOnFirstUse() throws {
        #expect(try store.checkAnnouncedSigningKey(gateID: gate.id, announced: key.publicKeyBase64) == .pinned)
        let record = try #require(try store.gates().first)
        #expect(record.signingKey == key.publicKeyBase64 && record.signingKeySource == "pinned")
        #expect(try store.checkAnnouncedSigningKey(gateID: gate.id, announced: key.publicKeyBase64) == .matches)
        let other = SigningKey().publicKeyBase64
        #expect(try store.checkAnnouncedSigningKey(gateID: gate.id, announced: other) == .mismatch(held: key.publicKeyBase64, firstTime: true))
        #expect(try store.checkAnnouncedSigningKey(gateID: gate.id, announced: other) == .mismatch(held: key.publicKeyBase64, firstTime: false))
        #expect(try store.refusedSigningKeys() == [gate.id: other])
        let reasons = try #require(try CentralStatus.read(from: store).gates.first).reasons
        #expect(reasons.contains { $0.contains("signing key \(other) refused") })
        // A registered key replaces the pinned one.
        try store.setSigningKey(gateID: gate.id, publicKey: other)
        #expect(try store.checkAnnouncedSigningKey(gateID: gate.id, announced: other) == .matches)
        #expect(try store.refusedSigningKeys().isEmpty)
    }

    static func jpegLike(_ count: Int) -> Data { Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }) }

    func chunk(_ image: Data, seq: Int64 = 1, role: String = "frame", offset: Int, size: Int, sha256: String? = nil) -> EvidenceChunk {
        EvidenceChunk(
            origin: origin, seq: seq, role: role, sha256: sha256 ?? EventSeal.hexDigest(image), totalBytes: image.count, offset: offset,
            data: image.subdata(in: offset..<min(image.count, offset + size)))
    }

    /// Event 1, signed, listing one frame of `bytes` (its upload not begun); returns the frame.
    func committedEventWithImage(bytes: Int) throws -> Data {
        try store.setSigningKey(gateID: gate.id, publicKey: key.publicKeyBase64)
        let image = Self.jpegLike(bytes)
        let digest = EventImageDigest(role: "frame", sha256: EventSeal.hexDigest(image), bytes: image.count)
        try store.commit(events: try chain([event(1, images: [digest])], key: key), from: gate.id, origin: origin)
        return image
    }

    @Test("an image upload interrupted by a restart of central resumes at the offset central holds, and completes only with the signed hash")
    func uploadResumesAfterRestart() throws {
        let image = try committedEventWithImage(bytes: 600_000)

        let first = try store.receiveEvidence(chunk(image, offset: 0, size: 262_144), gateID: gate.id)
        #expect(first.nextOffset == 262_144 && !first.complete && first.error == nil)

        // Central restarts; the gate, restarted too, begins again at 0 and is told where central stands.
        let reopened = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        let resumed = try reopened.receiveEvidence(chunk(image, offset: 0, size: 262_144), gateID: gate.id)
        #expect(resumed.nextOffset == 262_144 && !resumed.complete)
        let second = try reopened.receiveEvidence(chunk(image, offset: 262_144, size: 262_144), gateID: gate.id)
        #expect(second.nextOffset == 524_288 && !second.complete)
        let last = try reopened.receiveEvidence(chunk(image, offset: 524_288, size: 262_144), gateID: gate.id)
        #expect(last.complete && last.nextOffset == image.count && last.error == nil)
        #expect(try reopened.evidenceImages(gateID: gate.id, origin: origin, seq: 1) == ["frame": image])
        // A resend after a lost answer is told it is complete, and stores nothing twice.
        #expect(try reopened.receiveEvidence(chunk(image, offset: 0, size: 1000), gateID: gate.id).complete)
        #expect(try reopened.evidenceBlobCount() == 1)
    }

    @Test("a partial upload no gate goes on with is forgotten after its age, and the gate that comes back is told to start again and completes")
    func stalledUploadsAreForgotten() throws {
        let image = try committedEventWithImage(bytes: 600_000)
        _ = try store.receiveEvidence(chunk(image, offset: 0, size: 262_144), gateID: gate.id)
        #expect(try store.uploadsInProgress() == 1)
        // Not yet stalled at a cutoff before its chunk arrived.
        #expect(try store.forgetStalledUploads(before: Date().addingTimeInterval(-60)) == 0)
        #expect(try store.uploadsInProgress() == 1)
        #expect(try store.forgetStalledUploads(before: Date().addingTimeInterval(60)) == 1)
        #expect(try store.uploadsInProgress() == 0)
        // The gate goes on where it stopped and is told central holds nothing; from 0 it completes.
        let resumed = try store.receiveEvidence(chunk(image, offset: 262_144, size: 262_144), gateID: gate.id)
        #expect(resumed.nextOffset == 0 && !resumed.complete)
        var offset = 0
        while true {
            let ack = try store.receiveEvidence(chunk(image, offset: offset, size: 262_144), gateID: gate.id)
            #expect(ack.error == nil)
            if ack.complete { break }
            offset = ack.nextOffset
        }
        #expect(try store.evidenceImages(gateID: gate.id, origin: origin, seq: 1) == ["frame": image])
    }

    @Test("an image whose bytes do not match the signed digest, an unknown event or an unlisted role are answered with an error and nothing is stored")
    func refusals() throws {
        let image = Self.jpegLike(1000)
        let digest = EventImageDigest(role: "frame", sha256: EventSeal.hexDigest(image), bytes: image.count)
        try store.commit(events: try chain([event(1, images: [digest])], key: key), from: gate.id, origin: origin)

        var bad = image
        bad[10] ^= 0xFF
        let mismatch = try store.receiveEvidence(
            EvidenceChunk(origin: origin, seq: 1, role: "frame", sha256: digest.sha256, totalBytes: 1000, offset: 0, data: bad), gateID: gate.id)
        #expect(!mismatch.complete && mismatch.error?.contains("sha256") == true)
        let unknown = try store.receiveEvidence(chunk(image, seq: 9, offset: 0, size: 1000), gateID: gate.id)
        #expect(!unknown.complete && unknown.error != nil)
        let unlisted = try store.receiveEvidence(chunk(image, role: "crop", offset: 0, size: 1000), gateID: gate.id)
        #expect(!unlisted.complete && unlisted.error != nil)
        #expect(try store.evidenceBlobCount() == 0)
        #expect(try store.evidenceImages(gateID: gate.id, origin: origin, seq: 1).isEmpty)
        // The good copy still goes in afterwards: the mismatch left no partial bytes behind.
        #expect(try store.receiveEvidence(chunk(image, offset: 0, size: 1000), gateID: gate.id).complete)
    }

    @Test("the stored evidence of an event is the event as sent, its key, seal, images and up to two neighbours each side")
    func storedEvidenceBundle() throws {
        try store.setSigningKey(gateID: gate.id, publicKey: key.publicKeyBase64)
        let image = Self.jpegLike(2000)
        let digest = EventImageDigest(role: "crop", sha256: EventSeal.hexDigest(image), bytes: image.count)
        let events = try chain((1...6).map { event($0, images: $0 == 4 ? [digest] : nil) }, key: key)
        try store.commit(events: events, from: gate.id, origin: origin)
        _ = try store.receiveEvidence(chunk(image, seq: 4, role: "crop", offset: 0, size: 2000), gateID: gate.id)

        let bundle = try #require(try store.storedEvidence(gateID: gate.id, origin: origin, seq: 4))
        #expect(bundle.event == events[3])
        #expect(bundle.signingPublicKey == key.publicKeyBase64 && bundle.seal == .valid)
        #expect(bundle.images == ["crop": image])
        #expect(bundle.before == [events[1], events[2]] && bundle.after == [events[4], events[5]])
        #expect(bundle.hashes == Dictionary(uniqueKeysWithValues: events[1...5].map { ($0.seq, EventSeal.hash(of: $0, origin: origin)) }))
        #expect(EventSeal.signatureProblem(of: bundle.event, origin: origin, publicKey: key.publicKey) == nil)
        #expect(try store.storedEvidence(gateID: gate.id, origin: origin, seq: 99) == nil)
    }
}
