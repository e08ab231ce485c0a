import Domain
import EdgeCore
import Foundation
import Logging
import Testing
import WireProtocol

@Suite struct EventBufferTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-buffer-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func open(capacity: Int = 100) throws -> EventBuffer {
        try EventBuffer(path: folder + "/edge.sqlite", capacity: capacity)
    }

    static func read(_ plate: String = "1234BCD") -> PlateRead { PlateRead(text: plate, confidence: 0.97, at: Date()) }

    @Test func appendAssignsIncreasingSequencesThatSurviveReopening() throws {
        do {
            let buffer = try open()
            #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 1)
            #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 2)
            try buffer.acknowledge([1, 2])
        }
        // Acknowledged rows are gone, but their sequences are never reused.
        let reopened = try open()
        #expect(try reopened.depth().count == 0)
        #expect(try reopened.append(read: Self.read(), decision: .exitRecorded).seq == 3)
    }

    @Test func pendingReturnsOldestFirstAndAcknowledgeRemoves() throws {
        let buffer = try open()
        for _ in 0..<5 { _ = try buffer.append(read: Self.read(), decision: .notAuthorised(permitID: nil, validity: nil)) }
        let pending = try buffer.pending(limit: 3)
        #expect(pending.map(\.seq) == [1, 2, 3])
        #expect(pending.allSatisfy { $0.kind == .violation && $0.plate == "1234BCD" })
        try buffer.acknowledge([1, 3])
        #expect(try buffer.pending(limit: 10).map(\.seq) == [2, 4, 5])
    }

    @Test func fullBufferDropsAuthorisedPassagesFirstAndNeverViolations() throws {
        let buffer = try open(capacity: 10)
        for index in 0..<10 {
            let decision: Decision = index.isMultiple(of: 2) ? .authorised(permitID: "P\(index)") : .needsReview(.lowConfidence(confidence: 0.4))
            _ = try buffer.append(read: Self.read(), decision: decision)
        }
        // Ten more violations: the five authorised go, then the buffer grows rather than lose a violation.
        for _ in 0..<10 { _ = try buffer.append(read: Self.read(), decision: .notAuthorised(permitID: nil, validity: nil)) }
        let kept = try buffer.pending(limit: 100)
        #expect(kept.count == 15)
        #expect(kept.allSatisfy { $0.kind != .authorised })
        #expect(try buffer.depth().droppedAuthorised == 5)
    }

    @Test func reviewReasonsAndCandidatesAreStored() throws {
        let buffer = try open()
        _ = try buffer.append(read: Self.read("1234BCO"), decision: .needsReview(.confusionMatch(permitIDs: ["P1", "P2"])))
        let event = try #require(try buffer.pending(limit: 1).first)
        #expect(event.kind == .review && event.reason == "confusion_match" && event.candidates == ["P1", "P2"])
    }

    static func permit(_ id: String, seq: Int64, status: PermitStatus = .active) -> Permit {
        Permit(id: id, plate: PlateText("1234BCD")!, profile: .resident, zones: ["z"], validFrom: Date(timeIntervalSince1970: 0), status: status, seq: seq)
    }

    @Test func changesApplyAtomicallyAndOlderVersionsAreIgnored() throws {
        let buffer = try open()
        try buffer.apply(changes: [Self.permit("A", seq: 1), Self.permit("B", seq: 2), Self.permit("A", seq: 3, status: .revoked)], heldSeq: 3)
        // A re-delivered older change must not roll A back.
        try buffer.apply(changes: [Self.permit("A", seq: 1)], heldSeq: 3)
        let stored = try buffer.loadPermits()
        #expect(stored.seq == 3)
        #expect(Dictionary(uniqueKeysWithValues: stored.permits.map { ($0.id, $0.status) }) == ["A": .revoked, "B": .active])
    }

    @Test func snapshotReplacesTheWholeSet() throws {
        let buffer = try open()
        try buffer.apply(changes: [Self.permit("OLD", seq: 1)], heldSeq: 1)
        try buffer.beginSnapshot()
        try buffer.stage(snapshotPage: [Self.permit("N1", seq: 5)])
        try buffer.stage(snapshotPage: [Self.permit("N2", seq: 9)])
        // Until committed, the old set stands.
        #expect(try buffer.loadPermits().permits.map(\.id) == ["OLD"])
        try buffer.commitSnapshot(baseSeq: 9)
        let stored = try buffer.loadPermits()
        #expect(Set(stored.permits.map(\.id)) == ["N1", "N2"])
        #expect(stored.seq == 9)
    }
}

@Suite struct EdgeConfigurationTests {
    @Test func fileThenOverrides() throws {
        var configuration = EdgeConfiguration()
        try configuration.apply(fileText: """
            # a gate
            gate_id = gate-12
            direction = exit   # leaving the zone
            buffer_capacity = 500
            """, name: "edge.conf")
        #expect(configuration.gateID == "gate-12")
        #expect(configuration.direction == .exit)
        #expect(configuration.bufferCapacity == 500)
    }

    @Test(arguments: [
        ("colour = blue", "edge.conf:1: unknown key 'colour'"),
        ("direction = sideways", "edge.conf:1: direction must be 'entry' or 'exit', got 'sideways'"),
        ("\nbuffer_capacity = lots", "edge.conf:2: buffer_capacity must be a number in 10...100000000, got 'lots'"),
        ("just words", "edge.conf:1: expected 'key = value'"),
    ])
    func badFilesNameTheLineAndKey(_ text: String, _ message: String) {
        var configuration = EdgeConfiguration()
        #expect {
            try configuration.apply(fileText: text, name: "edge.conf")
        } throws: { error in
            (error as? EdgeConfiguration.Invalid)?.description == message
        }
    }

    /// The example file documents every key the configuration reads, and only those.
    @Test func exampleFileMatchesTheKeys() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/edge.conf.example").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let documented = text.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces).drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            guard let key = trimmed.split(separator: "=").first?.trimmingCharacters(in: .whitespaces), trimmed.contains("="),
                !key.contains(" ")
            else { return nil }
            return key
        }
        #expect(documented == EdgeConfiguration.keys)
        var configuration = EdgeConfiguration()
        try configuration.apply(fileText: text, name: path)
    }
}

@Suite struct SyntheticReadSourceTests {
    @Test func sameSeedSameStreamWithAllThreeKinds() {
        let source = SyntheticReadSource(readsPerMinute: 60, fleetSize: 100, seed: 42)
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let a = (0..<300).map { _ in source.next(&first) }
        let b = (0..<300).map { _ in source.next(&second) }
        #expect(a.map(\.text) == b.map(\.text))
        let fleet = Set((0..<100).map(DemoFleet.plate))
        #expect(a.contains { fleet.contains($0.text) })
        #expect(a.contains { !fleet.contains($0.text) && $0.confidence >= 0.9 })
        #expect(a.contains { $0.confidence < 0.9 })
    }
}

@Suite struct FullDiskTests {
    /// A buffer capped at 64 KiB fills like a full disk: decisions are held
    /// in memory, reported, and written in order once space returns.
    @Test func decisionsSurviveAFullDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-full-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let buffer = try EventBuffer(path: folder + "/edge.sqlite", capacity: 1_000_000, maxBytes: 64 * 1024)
        let gate = Gate(id: "g", zone: "z", direction: .entry)
        let store = PermitStore(index: PermitIndex(), seq: 0, gate: gate, holidays: HolidayCalendar())
        let controller = GateController(permits: store, buffer: buffer, policy: .standard, logger: .init(label: "test"))

        var stored = 0
        var refused = 0
        for number in 0..<5_000 where refused < 3 {
            do {
                _ = try controller.handle(PlateRead(text: String(format: "%04dBCD", number), confidence: 0.99, at: Date()))
                stored += 1
            } catch let error as GateController.StorageError {
                #expect(error.decision.kind == .violation)
                refused += 1
            }
        }
        #expect(refused == 3 && stored > 100)
        #expect(controller.storageProblem?.held == 3)

        // Central acknowledges everything: space returns, the held decisions go in first, in order.
        try buffer.acknowledge(try buffer.pending(limit: 100_000).map(\.seq))
        let next = try controller.handle(PlateRead(text: "9999BCD", confidence: 0.99, at: Date()))
        #expect(controller.storageProblem == nil)
        let pending = try buffer.pending(limit: 10)
        #expect(pending.count == 4)
        #expect(pending.last?.seq == next.seq)
        #expect(pending.map(\.plate) == [String(format: "%04dBCD", stored), String(format: "%04dBCD", stored + 1), String(format: "%04dBCD", stored + 2), "9999BCD"])
    }
}
