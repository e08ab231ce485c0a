import Crypto
import Domain
import Evidence
@testable import CentralCore
import Foundation
import GRDB
import Testing
import WireProtocol

/// Issue 8 item 6 end to end, with the real processes: a played video of
/// an unauthorised car yields one violation at central whose images and
/// signature verify there; an authorised car leaves no image.
@Suite("Signed evidence from the camera path", .serialized)
struct EvidenceIntegrationTests {
    @Test("a stranger's car in a played .y4m becomes exactly one violation at central with a frame and a crop whose hashes and signature verify; the permit holder's car leaves no image", .timeLimit(.minutes(3)))
    func violationEvidenceVerifiesAtCentral() throws {
        let cluster = try Cluster()
        _ = try cluster.centralCLI(["permits", "add", "--id", "CAM-1", "--plate", "BI 4688 HR"])
        try cluster.startCentral()
        try cluster.prepareEdge("gate-ev")
        let video = cluster.root.appendingPathComponent("street.y4m").path
        // scene_0001 is the permit holder (BI4688HR), scene_0004 a stranger (6307HHP).
        try CameraVideoIntegrationTests.writeVideo(path: video, scenes: ["scene_0001.jpg", "scene_0004.jpg"])
        let config = cluster.root.appendingPathComponent("camera.conf").path
        try Data("camera_device = \(video)\ncamera_queue_frames = 200\n".utf8).write(to: URL(fileURLWithPath: config))
        try cluster.startEdge("gate-ev")
        try cluster.waitUntil("gate holds the permit", timeout: 20) { try cluster.edgeStatus("gate-ev").permitCount == 1 }
        cluster.signalEdge("gate-ev", SIGTERM)
        try cluster.startEdge("gate-ev", extra: ["--config", config])

        try cluster.waitUntil("the violation's two images are stored at central", timeout: 120) {
            try cluster.centralDatabase().read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images WHERE gate_id = 'gate-ev'") ?? 0
            } >= 2
        }
        let key = try SigningKey.load(path: cluster.edgeData("gate-ev") + "/signing.key")
        try cluster.centralDatabase().read { db in
            // The key central checks with is the one the gate signs with (pinned at its first hello).
            #expect(try String.fetchOne(db, sql: "SELECT signing_key FROM gates WHERE id = 'gate-ev'") == key.publicKeyBase64)
            let events = try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT e.origin, e.seq, e.at_ms, e.kind, e.plate, e.confidence, e.permit_id, e.reason, e.candidates, e.source, e.chars,
                           s.prev, s.sig, s.images, s.seal, s.hash
                    FROM events e JOIN event_seals s USING (gate_id, origin, seq) WHERE e.gate_id = 'gate-ev' ORDER BY e.seq
                    """)
            let violations = events.filter { ($0["kind"] as String) == "violation" }
            #expect(violations.count == 1)
            #expect(events.allSatisfy { ($0["seal"] as String) == "valid" })
            for row in events {
                let origin: String = row["origin"]
                let images = (row["images"] as String?).map { try? JSONDecoder().decode([EventImageDigest].self, from: Data($0.utf8)) } ?? nil
                let event = Event(
                    seq: row["seq"], atMilliseconds: row["at_ms"], kind: DecisionKind(rawValue: row["kind"])!, plate: row["plate"],
                    confidence: row["confidence"], permitID: row["permit_id"], reason: row["reason"],
                    candidates: (row["candidates"] as String?).map { $0.split(separator: ",").map(String.init) }, images: images,
                    previousHash: row["prev"], signature: row["sig"], source: row["source"])
                #expect(event.source == "video", "a recording played as the camera; its source is signed too")
                // The reviewer's per-character confidences came along: one per character of the plate read.
                if let plate = event.plate {
                    let chars = (row["chars"] as String?)?.split(separator: ",").compactMap { Double($0) } ?? []
                    #expect(chars.count == plate.count, "per-character confidences of \(plate): \(chars)")
                    #expect(chars.allSatisfy { (0...1).contains($0) })
                }
                // Checked here independently of central's own verdict.
                #expect(EventSeal.signatureProblem(of: event, origin: origin, publicKey: key.publicKey) == nil)
                #expect(EventSeal.hash(of: event, origin: origin) == (row["hash"] as String))
                let stored = try StoreRow.fetchAll(
                    db,
                    sql: """
                        SELECT i.role, i.sha256, b.bytes FROM evidence_images i JOIN evidence_blobs b ON b.sha256 = i.sha256
                        WHERE i.gate_id = 'gate-ev' AND i.origin = ? AND i.seq = ?
                        """,
                    arguments: [origin, event.seq])
                if event.kind == .violation {
                    let digests = try #require(images)
                    #expect(Set(digests.map(\.role)) == ["frame", "crop"])
                    #expect(stored.count == 2)
                    for image in stored {
                        let bytes: Data = image["bytes"]
                        let digest = try #require(digests.first { $0.role == (image["role"] as String) })
                        #expect(EventSeal.hexDigest(bytes) == digest.sha256 && bytes.count == digest.bytes)
                        #expect(Array(bytes.prefix(3)) == [0xFF, 0xD8, 0xFF])
                    }
                } else {
                    #expect(images == nil)
                    #expect(stored.isEmpty)
                }
            }
            #expect(events.contains { ($0["kind"] as String) == "authorised" })
        }
        // Delivered images leave the gate.
        try cluster.waitUntil("the gate forgets delivered images", timeout: 20) {
            var configuration = Configuration()
            configuration.readonly = true
            let gateDB = try DatabaseQueue(path: cluster.edgeData("gate-ev") + "/edge.sqlite", configuration: configuration)
            return try gateDB.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images") ?? 1 } == 0
        }
        // The police's bundle of that violation verifies offline, images, gate signature and chain included.
        let violation = try #require(try cluster.centralDatabase().read { db in
            try StoreRow.fetchOne(db, sql: "SELECT origin, seq FROM events WHERE gate_id = 'gate-ev' AND kind = 'violation'")
        })
        let id = "gate-ev~\(violation["origin"] as String)~\(violation["seq"] as Int64)"
        let bundle = cluster.root.appendingPathComponent("evidence.zip").path
        _ = try cluster.centralCLI(["violations", "evidence", id, "--reason", "expediente 7", "--by", "agente 12", "--out", bundle])
        let centralKey = cluster.root.appendingPathComponent("central-signing.pub").path
        try cluster.centralCLI(["keys", "show-signing"]).write(toFile: centralKey, atomically: true, encoding: .utf8)
        let verify = try cluster.run("bollardctl", ["evidence", "verify", bundle, "--central-key", centralKey])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("the images are the ones the gate signed (crop, frame)"), "\(verify.output)")
    }

    @Test("a gate announcing another signing key than the one registered is refused with signing_key_mismatch, shown at both ends; its events are still stored, flagged bad_signature", .timeLimit(.minutes(2)))
    func mismatchedSigningKeyRefused() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-mk")
        let other = SigningKey().publicKeyBase64
        _ = try cluster.centralCLI([
            "gates", "register", "--id", "gate-mk", "--zone", "casco-viejo", "--key", cluster.edgeData("gate-mk") + "/gate.pub",
            "--signing-key", other,
        ])
        try cluster.startCentral()
        try cluster.startEdge("gate-mk")
        try cluster.waitUntil("the gate reports central's refusal", timeout: 30) {
            try cluster.edgeStatus("gate-mk").problems.contains { $0.contains("signing_key_mismatch") }
        }
        _ = try cluster.inject("gate-mk", "9999XYZ")
        try cluster.waitUntil("the event is stored anyway, flagged", timeout: 30) {
            try cluster.centralDatabase().read { db in
                try String.fetchOne(db, sql: "SELECT seal FROM event_seals WHERE gate_id = 'gate-mk'")
            } == "bad_signature"
        }
        let status = try cluster.centralCLI(["status"])
        #expect(status.contains("refused") && status.contains("bad_signature"), "\(status)")
        let list = try cluster.centralCLI(["gates", "list"])
        #expect(list.contains("\(other) (registered)"), "\(list)")
    }
}
