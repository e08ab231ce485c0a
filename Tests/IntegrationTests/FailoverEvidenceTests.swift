import Evidence
@testable import CentralCore
import Foundation
import GRDB
import Testing
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, point 3, for evidence: an image upload cut by the death of the central
/// instance it went to goes on at the other instance from where the shared database
/// stands, and leaves one complete, verifiable copy.
extension FailoverTests {
    /// One stored chunk of a partial upload at central, as it was written.
    struct HeldChunk: Hashable {
        var offset: Int
        var length: Int
        var receivedMs: Int64
    }

    @Test("SIGKILL of the central instance in the middle of an evidence upload: the gate fails over within 10 s, the upload goes on at the other instance from the chunks already held, and central holds the violation's images once, complete and verifiable, with every event once", .timeLimit(.minutes(1)))
    func failoverDuringEvidenceUpload() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        let portB = try Cluster.freePort()
        try cluster.startCentralInstance(port: portB)
        let (a, b) = (cluster.endpoint, "tcp://127.0.0.1:\(portB)")
        try cluster.prepareEdge("gate-ef")
        // A stranger's car (6307HHP) played as the camera: one violation with a frame and a crop.
        let video = cluster.root.appendingPathComponent("street.y4m").path
        try CameraVideoIntegrationTests.writeVideo(path: video, scenes: ["scene_0004.jpg"])
        let config = cluster.root.appendingPathComponent("camera.conf").path
        // 1 KiB pieces: the frame (tens of KiB) takes tens of chunks, 50 ms apart, so the kill lands mid-upload.
        try Data("camera_device = \(video)\ncamera_queue_frames = 200\nevidence_chunk_kib = 1\n".utf8)
            .write(to: URL(fileURLWithPath: config))
        try cluster.startEdge("gate-ef", extra: ["--config", config], heartbeatInterval: 1, centralEndpoints: [a, b])

        let db = try cluster.centralDatabase()
        func frameChunks() throws -> [HeldChunk] {
            try db.read { db in
                try StoreRow.fetchAll(
                    db,
                    sql: """
                        SELECT "offset", length(data) AS length, received_ms FROM evidence_chunks
                        WHERE gate_id = 'gate-ef' AND role = 'frame' ORDER BY "offset"
                        """
                ).map { HeldChunk(offset: $0["offset"], length: $0["length"], receivedMs: $0["received_ms"]) }
            }
        }
        func frameStored() throws -> Bool {
            try db.read { db in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM evidence_images WHERE gate_id = 'gate-ef' AND role = 'frame'") ?? false
            }
        }
        // Wait for the frame's upload to be under way at the first instance, then kill it.
        let deadline = Date().addingTimeInterval(40)
        while try frameChunks().count < 10 {
            if try frameStored() { throw ClusterError("the frame was stored before the kill: the test proves nothing") }
            guard Date() < deadline else { throw ClusterError("the frame's upload never got under way") }
            Thread.sleep(forTimeInterval: 0.005)
        }
        #expect(try cluster.edgeStatus("gate-ef").centralEndpoint == a)
        cluster.killCentral()
        let killedAt = Date()
        // What the dead instance left: committed chunks only (SQLite rolled back any write it was in).
        let atKill = try frameChunks()
        let frameBytes = try #require(try db.read { db in
            try String.fetchOne(db, sql: "SELECT images FROM event_seals WHERE gate_id = 'gate-ef' AND images IS NOT NULL")
        }.flatMap { try? JSONDecoder().decode([EventImageDigest].self, from: Data($0.utf8)) }?.first { $0.role == "frame" }?.bytes)
        let heldAtKill = atKill.reduce(0) { $0 + $1.length }
        #expect(heldAtKill > 0 && heldAtKill < frameBytes, "held \(heldAtKill) of \(frameBytes) bytes at the kill")

        // Reads keep coming while the gate looks for central; they must arrive once too.
        var injected: [Int64] = []
        var failedOverAfter: Double?
        // Every look at the partial upload until the frame is complete: the chunks the first
        // instance stored stay as they were (resumed, not begun again).
        var looks = 0
        var restarted: [HeldChunk]?
        while Date().timeIntervalSince(killedAt) < 30 {
            if injected.count < 10 { injected.append(try #require(try cluster.inject("gate-ef", Self.plate(injected.count)).eventSeq)) }
            if failedOverAfter == nil {
                let status = try cluster.edgeStatus("gate-ef")
                if status.connected, status.centralEndpoint == b { failedOverAfter = Date().timeIntervalSince(killedAt) }
            }
            let chunks = try frameChunks()
            if try frameStored() { break }
            looks += 1
            if restarted == nil, !Set(atKill).isSubset(of: Set(chunks)) { restarted = chunks }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let completedAfter = try frameStored() ? Date().timeIntervalSince(killedAt) : nil
        let failover = try #require(failedOverAfter, "gate-ef never connected to the second central")
        print("evidence failover: \(atKill.count) chunks (\(heldAtKill) of \(frameBytes) bytes) of the frame at central at the SIGKILL; "
            + "gate at the second instance \(String(format: "%.2f", failover)) s later; frame "
            + (completedAfter.map { "complete \(String(format: "%.2f", $0)) s after the kill" } ?? "NOT complete after 30 s"))
        #expect(failover <= 10, "failed over in \(failover) s")
        #expect(try frameStored(), "the frame's upload never completed at the second instance")
        #expect(restarted == nil, "the chunks held at the kill were replaced (the upload began again): at the kill \(atKill.prefix(3))…, later \(restarted ?? [])")
        #expect(looks > 0)

        // The gate delivers the rest and forgets what central holds.
        try cluster.waitUntil("the gate holds no image and no event", timeout: 20) {
            let status = try cluster.edgeStatus("gate-ef")
            var configuration = Configuration()
            configuration.readonly = true
            let gateDB = try DatabaseQueue(path: cluster.edgeData("gate-ef") + "/edge.sqlite", configuration: configuration)
            return try status.health.bufferDepth == 0 && gateDB.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images") ?? 1 } == 0
        }
        let violation = try db.read { db in
            try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT origin, seq, images FROM events JOIN event_seals USING (gate_id, origin, seq)
                    WHERE gate_id = 'gate-ef' AND kind = 'violation' AND source = 'video'
                    """)
        }
        try #require(violation.count == 1, "one violation from the camera: \(violation)")
        let origin: String = violation[0]["origin"], seq: Int64 = violation[0]["seq"]
        let digests = try JSONDecoder().decode([EventImageDigest].self, from: Data((violation[0]["images"] as String).utf8))
        #expect(Set(digests.map(\.role)) == ["frame", "crop"])
        try db.read { db in
            // One image per role, each the bytes the gate signed; no partial upload left.
            let stored = try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT i.role, i.sha256, b.bytes FROM evidence_images i JOIN evidence_blobs b ON b.sha256 = i.sha256
                    WHERE i.gate_id = 'gate-ef' AND i.origin = ? AND i.seq = ?
                    """, arguments: [origin, seq])
            #expect(stored.count == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images WHERE gate_id = 'gate-ef'") == 2)
            for image in stored {
                let bytes: Data = image["bytes"]
                let digest = try #require(digests.first { $0.role == (image["role"] as String) })
                #expect(EventSeal.hexDigest(bytes) == digest.sha256 && bytes.count == digest.bytes)
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_chunks") == 0, "a partial upload was left behind")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_seals WHERE gate_id = 'gate-ef' AND seal != 'valid'") == 0)
        }
        // Every event once: the camera's and those read while the gate was away.
        let tally = try cluster.centralEventTally(gate: "gate-ef")
        #expect(tally.total == tally.distinct, "\(tally)")
        #expect(Set(injected).isSubset(of: Set(try cluster.centralEventSeqs(gate: "gate-ef"))))
        #expect(tally.total == injected.count + 1, "\(tally.total) events for \(injected.count) injected and one violation")

        // The police's bundle, made by the surviving instance's data, verifies offline.
        let bundle = cluster.root.appendingPathComponent("evidence.zip").path
        _ = try cluster.centralCLI(["violations", "evidence", "gate-ef~\(origin)~\(seq)", "--reason", "expediente 9", "--by", "agente 3", "--out", bundle])
        let centralKey = cluster.root.appendingPathComponent("central-signing.pub").path
        try cluster.centralCLI(["keys", "show-signing"]).write(toFile: centralKey, atomically: true, encoding: .utf8)
        let verify = try cluster.run("bollardctl", ["evidence", "verify", bundle, "--central-key", centralKey])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("the images are the ones the gate signed (crop, frame)"), "\(verify.output)")
        #expect(try cluster.edgeStatus("gate-ef").failovers == 1)
    }
}
