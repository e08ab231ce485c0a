import Domain
import EdgeCore
import Foundation
import GRDB
import Logging
import Testing
import WireProtocol

/// The gate's age and size bounds: what goes first, and what never goes.
@Suite struct StorageBoundsTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-bounds-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    static func read(at: Date) -> PlateRead { PlateRead(text: "1234BCD", confidence: 0.97, at: at, source: .camera) }
    static let review = Decision.needsReview(.lowConfidence(confidence: 0.5))
    static let violation = Decision.notAuthorised(permitID: nil, validity: nil)
    static func images(_ tag: UInt8, frame: Int, crop: Int) -> [EvidenceImage] {
        [EvidenceImage(role: "frame", jpeg: Data(repeating: tag, count: frame)), EvidenceImage(role: "crop", jpeg: Data(repeating: tag &+ 1, count: crop))]
    }

    func roles(_ buffer: EventBuffer) throws -> [String] {
        try DatabaseQueue(path: folder + "/edge.sqlite").read { db in
            try Row.fetchAll(db, sql: "SELECT seq, role FROM evidence_images ORDER BY seq, role").map { "\($0["seq"] as Int64)\($0["role"] as String)" }
        }
    }

    @Test("over the evidence quota, frames of reviews go first, then frames of violations, then crops; the events stay")
    func quotaOrder() throws {
        let buffer = try EventBuffer(path: folder + "/edge.sqlite", capacity: 1_000)
        let now = Date()
        // seq 1 violation, 2 review, 3 violation, 4 review: frames of 10 kB, crops of 2 kB (48 kB in all).
        for (index, decision) in [Self.violation, Self.review, Self.violation, Self.review].enumerated() {
            _ = try buffer.append(
                read: Self.read(at: now), decision: decision, images: Self.images(UInt8(index * 2), frame: 10_000, crop: 2_000),
                now: now.addingTimeInterval(Double(index)))
        }
        var bounds = StorageBounds()
        // 30 kB: the two review frames (20 kB) must go, nothing else.
        bounds.evidenceQuotaBytes = 30_000
        let first = try buffer.enforce(bounds, now: now.addingTimeInterval(10))
        #expect(first.imagesOverQuota == 2 && first.bytesFreed == 20_000)
        #expect(try roles(buffer) == ["1crop", "1frame", "2crop", "3crop", "3frame", "4crop"])
        // 8 kB: then the violation frames, oldest first (the crops fit).
        bounds.evidenceQuotaBytes = 8_000
        try buffer.enforce(bounds, now: now.addingTimeInterval(10))
        #expect(try roles(buffer) == ["1crop", "2crop", "3crop", "4crop"])
        // 5 kB: the crops of reviews go before those of violations.
        bounds.evidenceQuotaBytes = 5_000
        try buffer.enforce(bounds, now: now.addingTimeInterval(10))
        #expect(try roles(buffer) == ["1crop", "3crop"])
        #expect(try buffer.evidenceStorage() == (bytes: 4_000, dropped: 6))
        // The violations and reviews themselves are all still waiting for central.
        #expect(try buffer.pending(limit: 10).map(\.seq) == [1, 2, 3, 4])
    }

    @Test("images older than their age go, delivered or not; unsent authorised passages past theirs go and are counted as drops, violations never")
    func ageBounds() throws {
        let buffer = try EventBuffer(path: folder + "/edge.sqlite", capacity: 1_000)
        let now = Date()
        let old = now.addingTimeInterval(-10 * 86_400)
        _ = try buffer.append(read: Self.read(at: old), decision: .authorised(permitID: "P1"), now: old)
        _ = try buffer.append(read: Self.read(at: old), decision: .exitRecorded, now: old)
        _ = try buffer.append(read: Self.read(at: old), decision: Self.violation, images: Self.images(1, frame: 100, crop: 10), now: old)
        _ = try buffer.append(read: Self.read(at: now), decision: .authorised(permitID: "P1"), now: now)
        _ = try buffer.append(read: Self.read(at: now), decision: Self.review, images: Self.images(3, frame: 100, crop: 10), now: now)
        var bounds = StorageBounds()
        bounds.authorisedMaxAge = 7 * 86_400
        bounds.evidenceMaxAge = 5 * 86_400
        let trim = try buffer.enforce(bounds, now: now)
        #expect(trim.passages == 2 && trim.expiredImages == 2)
        #expect(try buffer.pending(limit: 10).map(\.seq) == [3, 4, 5])
        #expect(try roles(buffer) == ["5crop", "5frame"])
        #expect(buffer.dropCounts.authorised == 1 && buffer.dropCounts.exit == 1 && buffer.dropCounts.violation == 0)
        #expect(try buffer.depth().count == 3)
        // A second pass finds nothing more to do.
        #expect(try buffer.enforce(bounds, now: now).isEmpty)
    }

    @Test("images dropped by the bounds are counted where a technician looks: bollardctl buffer shows held, quota and dropped; status warns")
    func droppedImagesShown() throws {
        let buffer = try EventBuffer(path: folder + "/edge.sqlite", capacity: 1_000)
        let now = Date()
        for index in 0..<3 {
            _ = try buffer.append(read: Self.read(at: now), decision: Self.violation, images: Self.images(UInt8(index), frame: 10_000, crop: 2_000), now: now)
        }
        var configuration = EdgeConfiguration()
        configuration.evidenceQuotaMiB = 1
        let controller = SmallFilesystemTests.controller(buffer, heldCapacity: 1)
        let sync = SyncClient(
            endpoint: "tcp://127.0.0.1:1", credentials: .init(publicKey: "", secretKey: "", centralPublicKey: ""), controller: controller,
            heartbeatInterval: 1, gateID: "g", logger: Logger(label: "test"))
        let handler = DiagnosticsHandler(configuration: configuration, controller: controller, sync: sync, logger: Logger(label: "test"))
        func bufferReport() throws -> DiagnosticsBuffer? {
            let line = String(decoding: WireCodec.encode(DiagnosticsRequest.buffer), as: UTF8.self)
            return try JSONDecoder().decode(DiagnosticsReply.self, from: Data(handler.answer(line).utf8)).buffer
        }
        #expect(try bufferReport()?.evidenceImagesDropped == 0)
        #expect(!(handler.status().findings ?? []).contains { $0.problem.contains("evidence images dropped") })
        var bounds = StorageBounds()
        bounds.evidenceQuotaBytes = 20_000  // two of the three frames must go
        try buffer.enforce(bounds, now: now)
        let report = try #require(try bufferReport())
        #expect(report.evidenceImagesDropped == 2)
        #expect(report.evidenceBytes == 16_000)
        #expect(report.evidenceQuotaBytes == 1 << 20)
        #expect((handler.status().findings ?? []).contains { $0.severity == .warning && $0.problem.hasPrefix("2 evidence images dropped") })
    }
}
